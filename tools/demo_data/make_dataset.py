"""Paired image/audio digit data set for the ADMN demo (issue 9).

Usage:  /usr/bin/python3 tools/demo_data/make_dataset.py [OUTDIR]      (default build/demo_data)

Writes OUTDIR/digits.npz (see `main` for the arrays). Everything is derived from fixed seeds, so two
runs give the same arrays.

* image: scikit-learn's bundled digits (1797 real 8x8 scans, values 0..16) scaled to [0,1], upsampled
  to 32x32 (bilinear, align_corners=False), normalised with the training split's mean/std -> (N,1,32,32).
* audio: the digit spoken by espeak-ng ("zero".."nine") with a random voice, variant, speed and pitch;
  silence trimmed, placed at a random offset in a 0.8 s window, turned into a 32-band log-mel
  spectrogram with 64 frames (numpy only), normalised with the training split's mean/std -> (N,1,32,64).
* splits: images and clips are split disjointly per digit (30 test, 20 validation, rest training per
  digit), so no test image or test clip is seen in training. Test/validation pairs join the i-th image
  and the i-th clip of the same digit; training pairs are drawn afresh every epoch by train.py.
* corruption: additive Gaussian noise in normalised units, sigma per modality per sample from
  {0, mild, heavy} (SIGMA below). The test and validation noise is drawn here once (heavy level).
"""
import os
import subprocess
import sys
import tempfile
import time
import wave
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits

SEED = 20240909
WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
# espeak-ng's own (non-MBROLA) English voices and its voice variants.
VOICES = ("en", "en-us", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-rp", "en-gb-x-gbcwmd", "en-029",
          "en-us-nyc")
VARIANTS = ("", "+m1", "+m2", "+m3", "+m4", "+m5", "+m6", "+m7", "+f1", "+f2", "+f3", "+f4")
SPEED = (110, 220)   # words per minute, uniform integer range
PITCH = (20, 80)     # espeak-ng pitch 0..99, uniform integer range
CLIPS_PER_DIGIT = 240
TEST_PER_DIGIT = 30
VAL_PER_DIGIT = 20

# Audio front end: espeak-ng writes 22050 Hz mono 16-bit; no resampling needed.
SAMPLE_RATE = 22050
N_FFT = 512           # 23 ms Hann window
HOP = 276             # 64 frames * 276 samples = 0.80 s window
N_FRAMES = 64
N_MELS = 32
F_MIN, F_MAX = 60.0, 8000.0
LOG_EPS = 1e-4        # floor of the mel power (the padded silence maps to log(1e-4))
TRIM_LEVEL = 0.02     # samples below 2 % of the peak at either end count as silence

IMAGE_SIZE = (32, 32)
# Noise standard deviations in normalised units: (mild, heavy). Heavy is chosen so that a unimodal
# classifier really suffers, and stays below 5 (the QoI head is sigmoid*5).
SIGMA = {"image": (1.5, 4.0), "audio": (1.0, 3.0)}


def espeak_clip(args):
    """Synthesise one clip with espeak-ng and return it as float64 samples in [-1, 1]."""
    word, voice, speed, pitch, path = args
    cmd = ["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", path, word]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0 or not os.path.exists(path):
        raise RuntimeError(f"espeak-ng failed ({' '.join(cmd)}): {done.stderr.strip()}")
    with wave.open(path, "rb") as w:
        if w.getframerate() != SAMPLE_RATE or w.getnchannels() != 1 or w.getsampwidth() != 2:
            raise RuntimeError(f"unexpected WAV format from espeak-ng: {w.getparams()}")
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    os.remove(path)
    return pcm.astype(np.float64) / 32768.0


def synthesise(rng):
    """All clips: returns (list of waveforms, labels, voice descriptions), clip order digit-major."""
    jobs, labels, names = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for digit, word in enumerate(WORDS):
            for i in range(CLIPS_PER_DIGIT):
                voice = VOICES[rng.integers(len(VOICES))] + VARIANTS[rng.integers(len(VARIANTS))]
                speed = int(rng.integers(SPEED[0], SPEED[1] + 1))
                pitch = int(rng.integers(PITCH[0], PITCH[1] + 1))
                jobs.append((word, voice, speed, pitch, os.path.join(tmp, f"{digit}_{i}.wav")))
                labels.append(digit)
                names.append(f"{voice} -s {speed} -p {pitch}")
        # espeak-ng is a separate process per clip, so two threads keep both cores busy.
        with ThreadPoolExecutor(max_workers=2) as pool:
            waves = list(pool.map(espeak_clip, jobs))
    return waves, np.array(labels, dtype=np.int64), names


def place_in_window(x, rng):
    """Trim leading/trailing silence and put the word at a random offset in the fixed-length window."""
    length = N_FRAMES * HOP
    peak = np.abs(x).max()
    if peak == 0:
        raise RuntimeError("espeak-ng produced a silent clip")
    loud = np.nonzero(np.abs(x) > TRIM_LEVEL * peak)[0]
    x = x[loud[0]:loud[-1] + 1] / peak  # peak-normalise: loudness carries no label information
    if len(x) > length:
        x = x[:length]  # only the slowest voices exceed 0.8 s; the tail is the word's fade-out
    out = np.zeros(length)
    start = int(rng.integers(0, length - len(x) + 1))
    out[start:start + len(x)] = x
    return out


def mel_filterbank():
    """(N_MELS, N_FFT//2+1) triangular filters equally spaced on the HTK mel scale."""
    def hz_to_mel(f):
        return 2595.0 * np.log10(1.0 + f / 700.0)

    def mel_to_hz(m):
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)

    edges = mel_to_hz(np.linspace(hz_to_mel(F_MIN), hz_to_mel(F_MAX), N_MELS + 2))
    bins = np.arange(N_FFT // 2 + 1) * SAMPLE_RATE / N_FFT
    fb = np.zeros((N_MELS, len(bins)))
    for m in range(N_MELS):
        lo, mid, hi = edges[m], edges[m + 1], edges[m + 2]
        rising = (bins - lo) / (mid - lo)
        falling = (hi - bins) / (hi - mid)
        fb[m] = np.maximum(0.0, np.minimum(rising, falling))
    if (fb.sum(axis=1) == 0).any():
        raise RuntimeError("a mel band covers no FFT bin; lower N_MELS or raise N_FFT")
    return fb


def log_mel(x, fb):
    """Log-mel spectrogram (N_MELS, N_FRAMES) of a window of N_FRAMES*HOP samples (centred frames)."""
    padded = np.pad(x, (N_FFT // 2, N_FFT // 2))
    idx = np.arange(N_FRAMES)[:, None] * HOP + np.arange(N_FFT)[None, :]
    frames = padded[idx] * np.hanning(N_FFT + 1)[:-1]  # periodic Hann
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    return np.log(fb @ power.T + LOG_EPS)


def split_per_digit(labels, rng):
    """Indices (test, val, train) with TEST_PER_DIGIT / VAL_PER_DIGIT of every digit, shuffled per digit."""
    test, val, train = [], [], []
    for d in range(10):
        idx = rng.permutation(np.nonzero(labels == d)[0])
        test.append(idx[:TEST_PER_DIGIT])
        val.append(idx[TEST_PER_DIGIT:TEST_PER_DIGIT + VAL_PER_DIGIT])
        train.append(idx[TEST_PER_DIGIT + VAL_PER_DIGIT:])
    return test, val, np.concatenate(train)


def pair(img_parts, clip_parts, rng):
    """Join the i-th image and the i-th clip of each digit, then shuffle the pairs."""
    img = np.concatenate(img_parts)
    clip = np.concatenate(clip_parts)
    order = rng.permutation(len(img))
    return img[order], clip[order]


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else "build/demo_data"
    os.makedirs(outdir, exist_ok=True)
    rng = np.random.default_rng(SEED)
    t0 = time.time()

    digits = load_digits()
    raw = torch.from_numpy(digits.images.astype(np.float32) / 16.0)[:, None]
    images = F.interpolate(raw, size=IMAGE_SIZE, mode="bilinear", align_corners=False).numpy()
    img_labels = digits.target.astype(np.int64)

    waves, clip_labels, voices = synthesise(rng)
    t_synth = time.time() - t0
    fb = mel_filterbank()
    spectra = np.stack([log_mel(place_in_window(x, rng), fb) for x in waves]).astype(np.float32)[:, None]

    img_test, img_val, img_train = split_per_digit(img_labels, rng)
    clip_test, clip_val, clip_train = split_per_digit(clip_labels, rng)
    test_img, test_clip = pair(img_test, clip_test, rng)
    val_img, val_clip = pair(img_val, clip_val, rng)

    # Scalar normalisation constants from the training split only.
    img_mean, img_std = float(images[img_train].mean()), float(images[img_train].std())
    aud_mean, aud_std = float(spectra[clip_train].mean()), float(spectra[clip_train].std())
    images = ((images - img_mean) / img_std).astype(np.float32)
    spectra = ((spectra - aud_mean) / aud_std).astype(np.float32)

    def heavy_noise(shape, modality):
        return (SIGMA[modality][1] * rng.standard_normal(shape)).astype(np.float32)

    out = {
        "train_image": images[img_train], "train_image_label": img_labels[img_train],
        "train_audio": spectra[clip_train], "train_audio_label": clip_labels[clip_train],
        "sigma_image": np.array(SIGMA["image"], np.float32), "sigma_audio": np.array(SIGMA["audio"], np.float32),
        "norm_image": np.array([img_mean, img_std], np.float64),
        "norm_audio": np.array([aud_mean, aud_std], np.float64),
    }
    for split, ii, cc in (("val", val_img, val_clip), ("test", test_img, test_clip)):
        assert np.array_equal(img_labels[ii], clip_labels[cc])
        out[f"{split}_label"] = img_labels[ii]
        out[f"{split}_image"] = images[ii]
        out[f"{split}_audio"] = spectra[cc]
        out[f"{split}_image_noisy"] = images[ii] + heavy_noise(images[ii].shape, "image")
        out[f"{split}_audio_noisy"] = spectra[cc] + heavy_noise(spectra[cc].shape, "audio")
        out[f"{split}_voice"] = np.array([voices[c] for c in cc])
    path = os.path.join(outdir, "digits.npz")
    np.savez(path, **out)

    print(f"images: {len(img_labels)} (train {len(img_train)}, val {len(val_img)}, test {len(test_img)}); "
          f"clips: {len(clip_labels)} (train {len(clip_train)}, val {len(val_clip)}, test {len(test_clip)})")
    print(f"normalisation: image mean {img_mean:.6f} std {img_std:.6f}; audio mean {aud_mean:.6f} "
          f"std {aud_std:.6f}")
    print(f"noise sigma (mild, heavy): image {SIGMA['image']}, audio {SIGMA['audio']}")
    print(f"wrote {path}: espeak-ng {t_synth:.1f} s, total {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()
