"""Golden files for admn's raw-sensor preprocessing: tests/fixtures/preprocess/*.safetensors.

Run:  /usr/bin/python3 tests/reference/make_preprocess_fixtures.py   (CPU, 1 thread, ~2 s)

Needs Debian's python3-torch, python3-torchaudio (0.13.1) and python3-opencv (tools/deps.sh reference).
The pipelines are ADMN's data loaders as docs/numerics.md §6 describes them, written here with the
libraries those loaders call: cv2.cvtColor / cv2.normalize(NORM_MINMAX, 0, 1, CV_32F) for GTDM's
cached frames, `x / 255` for AVE/MMFI frames, torch.clamp, torchvision's Resize on tensors =
F.interpolate(bilinear, align_corners=False, antialias=True) (torchvision >= 0.17, §0; torchvision is
not installed here, its Resize calls exactly this), Normalize = (x - mean) / std, and
torchaudio.compliance.kaldi.fbank with AVE's arguments. Running twice gives byte-identical files.

Every file's __metadata__ has `generator`, `torch`, `torchaudio`, `cv2` (versions).

fbank.safetensors (AVE's audio front end)
  short.wave        F16 (32000,)      2 s at 16 kHz: 0.3 sin(440 Hz) + 0.2 linear chirp 100->3000 Hz
                                      + 0.05 N(0,1) (numpy seed 1) + 0.01 DC; stored in F16, and the
                                      reference is computed from exactly those values widened to F32
  short.fbank       F32 (198, 128)    kaldi.fbank(wave - wave.mean(), htk_compat=True,
                                      use_energy=False, window_type='hanning', num_mel_bins=128,
                                      dither=0.0, frame_shift=10) (AVE's call; the rest defaults)
  short.audio_head  F32 (1, 128, 198) AVE's tensor (pad/cut to 1024 frames, transpose,
                                      (x + 4.2677393) / (4.5689974 * 2), unsqueeze), columns < 198
  short.audio_pad   F32 ()            the value of every padded column (198..1023) of that tensor
  long.audio_tail   F32 (1, 128, 24)  AVE's tensor of detgen(17, (168000,), 0.5) + 0.25 (10.5 s,
                                      1048 frames, cut to 1024): columns 1000..1023
  rate8k.fbank      F32 (24, 40)      kaldi.fbank(detgen(23, (4000,), 0.25), sample_frequency=8000,
                                      num_mel_bins=40, low_freq=60, high_freq=-400, frame_length=25,
                                      frame_shift=20, window_type='hanning', dither=0.0)
  metadata: short.frames = 198, long.frames = 1048

images.safetensors (u8 frames -> the backbone's tensors; target size 28 x 32, downsampling so that
antialias matters; frames 50 x 70; values numpy seed 2, uniform in [lo, hi] per frame)
  gtdm_rgb.raw      U8 (1, 3, 50, 70, 3)  BGR as cv2.imread gives; node 2 is a constant image (7)
  gtdm_rgb.input    F32 (1, 3, 3, 28, 32) cvtColor BGR2RGB -> normalize MINMAX -> CHW -> clamp(0,1)
                                          -> Resize -> ImageNet Normalize
  gtdm_depth.raw    U8 (1, 3, 50, 70)     grayscale as cv2.imread(IMREAD_GRAYSCALE) gives
  gtdm_depth.input  F32 (1, 3, 3, 28, 32) normalize MINMAX -> clamp -> repeat to 3 channels -> Resize
  ave_image.raw     U8 (1, 3, 50, 70, 3)  RGB (3 frames instead of AVE's 8, to keep the file small)
  ave_image.input   F32 (1, 3, 3, 28, 32) /255 -> clamp -> Resize -> ImageNet Normalize
  mmfi_rgb.raw      U8 (1, 2, 50, 70, 3)  RGB (2 frames instead of 15)
  mmfi_rgb.input    F32 (1, 2, 3, 28, 32) /255 -> clamp -> Resize -> ImageNet Normalize
  mmfi_depth.raw    U8 (1, 2, 50, 70, 3)  colourised depth, RGB
  mmfi_depth.input  F32 (1, 2, 3, 28, 32) /255 -> clamp -> Resize (no normalisation)
  metadata: antialias = "true", size = "28,32"
"""
import os
import sys

import cv2
import numpy as np
import torch
import torch.nn.functional as F
import torchaudio
import torchaudio.compliance.kaldi as kaldi

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from detgen import detgen  # noqa: E402
from st_write import save_file  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "preprocess")
AVE_FRAMES = 1024
AVE_MEAN, AVE_STD = -4.2677393, 4.5689974
IMAGENET_MEAN = torch.tensor([0.485, 0.456, 0.406]).view(3, 1, 1)
IMAGENET_STD = torch.tensor([0.229, 0.224, 0.225]).view(3, 1, 1)
SIZE = (28, 32)


def meta(**extra):
    m = {"generator": "tests/reference/make_preprocess_fixtures.py", "torch": torch.__version__,
         "torchaudio": torchaudio.__version__, "cv2": cv2.__version__}
    m.update({k: str(v) for k, v in extra.items()})
    return m


# ---- audio (AVE_Custom/PickleDataset.py, docs/numerics.md §6) ----------------------------------

def ave_fbank(waveform: torch.Tensor) -> torch.Tensor:
    """waveform (1, n) float32 -> kaldi fbank (frames, 128), exactly AVE's call."""
    waveform = waveform - waveform.mean()
    return kaldi.fbank(waveform, htk_compat=True, sample_frequency=16000, use_energy=False,
                       window_type="hanning", num_mel_bins=128, dither=0.0, frame_shift=10)


def ave_audio(waveform: torch.Tensor) -> torch.Tensor:
    """waveform (1, n) -> the audio backbone's input (1, 128, 1024)."""
    fbank = ave_fbank(waveform)
    p = AVE_FRAMES - fbank.shape[0]
    if p > 0:
        fbank = torch.nn.ZeroPad2d((0, 0, 0, p))(fbank)
    elif p < 0:
        fbank = fbank[0:AVE_FRAMES, :]
    fbank = fbank.transpose(0, 1)
    fbank = (fbank - AVE_MEAN) / (AVE_STD * 2)
    return fbank.unsqueeze(0)


def make_fbank():
    sr = 16000
    t = np.arange(2 * sr, dtype=np.float64) / sr
    chirp = np.sin(2 * np.pi * (100.0 * t + 0.5 * (3000.0 - 100.0) / 2.0 * t * t))
    rng = np.random.RandomState(1)
    wave = 0.3 * np.sin(2 * np.pi * 440.0 * t) + 0.2 * chirp + 0.05 * rng.randn(t.size) + 0.01
    wave16 = wave.astype(np.float16)
    w = torch.from_numpy(wave16.astype(np.float32)).unsqueeze(0)
    fb = ave_fbank(w)
    audio = ave_audio(w)
    frames = fb.shape[0]
    assert torch.all(audio[:, :, frames:] == audio[0, 0, frames])
    # The ADMN normalisation written out, as a check of ave_audio.
    assert torch.allclose(audio[0, :, :frames], (fb.T + 4.2677393) / (4.5689974 * 2), atol=0, rtol=0)

    long_wave = torch.from_numpy(detgen(17, (168000,), 0.5) + np.float32(0.25)).unsqueeze(0)
    long_audio = ave_audio(long_wave)
    long_frames = ave_fbank(long_wave).shape[0]
    assert long_audio.shape == (1, 128, 1024) and long_frames > 1024

    w8 = torch.from_numpy(detgen(23, (4000,), 0.25)).unsqueeze(0)
    fb8 = kaldi.fbank(w8, sample_frequency=8000, num_mel_bins=40, low_freq=60, high_freq=-400,
                      frame_length=25, frame_shift=20, window_type="hanning", dither=0.0)

    tensors = {
        "short.wave": wave16,
        "short.fbank": fb.numpy(),
        "short.audio_head": audio[:, :, :frames].contiguous().numpy(),
        "short.audio_pad": audio[0, 0, frames].numpy(),
        "long.audio_tail": long_audio[:, :, 1000:].contiguous().numpy(),
        "rate8k.fbank": fb8.numpy(),
    }
    save_file(tensors, os.path.join(OUT, "fbank.safetensors"),
              meta(**{"short.frames": frames, "long.frames": long_frames}))
    print(f"fbank: short {tuple(fb.shape)}, range [{fb.min():.3f}, {fb.max():.3f}], pad value "
          f"{float(audio[0, 0, frames]):.7f}; long {long_frames} frames; rate8k {tuple(fb8.shape)}")


# ---- images (GTDM cacher.py / PickleDataset.py, AVE and MMFI PickleDataset.py, §6) ---------------

def resize(x: torch.Tensor) -> torch.Tensor:
    """torchvision Resize(SIZE) on a (C, H, W) float tensor (antialias=True, §0)."""
    return F.interpolate(x.unsqueeze(0), size=SIZE, mode="bilinear", align_corners=False,
                         antialias=True).squeeze(0)


def imagenet(x: torch.Tensor) -> torch.Tensor:
    return (x - IMAGENET_MEAN) / IMAGENET_STD


def gtdm_rgb(frame_bgr: np.ndarray) -> torch.Tensor:
    rgb = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB)
    x = cv2.normalize(rgb, None, 0, 1, cv2.NORM_MINMAX, dtype=cv2.CV_32F)
    x = torch.from_numpy(x).permute(2, 0, 1).contiguous()
    return imagenet(resize(torch.clamp(x, 0, 1)))


def gtdm_depth(frame_gray: np.ndarray) -> torch.Tensor:
    x = cv2.normalize(frame_gray, None, 0, 1, cv2.NORM_MINMAX, dtype=cv2.CV_32F)
    x = torch.clamp(torch.from_numpy(x).unsqueeze(0), 0, 1)
    return resize(x.repeat(3, 1, 1))


def unit_frame(frame_rgb: np.ndarray) -> torch.Tensor:
    """AVE / MMFI: u8 HWC -> float CHW / 255 -> clamp."""
    x = torch.from_numpy(frame_rgb).permute(2, 0, 1).float() / 255
    return torch.clamp(x, 0, 1)


def frames(rng, count, shape):
    out = []
    for _ in range(count):
        lo = rng.randint(0, 60)
        hi = rng.randint(180, 256)
        out.append(rng.randint(lo, hi + 1, size=shape).astype(np.uint8))
    return np.stack(out)[None]


def make_images():
    rng = np.random.RandomState(2)
    h, w = 50, 70
    rgb = frames(rng, 3, (h, w, 3))
    rgb[0, 2] = 7  # a constant image: cv2's NORM_MINMAX maps it to 0
    depth = frames(rng, 3, (h, w))
    ave = frames(rng, 3, (h, w, 3))
    mrgb = frames(rng, 2, (h, w, 3))
    mdepth = frames(rng, 2, (h, w, 3))
    out = {
        "gtdm_rgb.raw": rgb,
        "gtdm_rgb.input": torch.stack([gtdm_rgb(f) for f in rgb[0]])[None],
        "gtdm_depth.raw": depth,
        "gtdm_depth.input": torch.stack([gtdm_depth(f) for f in depth[0]])[None],
        "ave_image.raw": ave,
        "ave_image.input": torch.stack([imagenet(resize(unit_frame(f))) for f in ave[0]])[None],
        "mmfi_rgb.raw": mrgb,
        "mmfi_rgb.input": torch.stack([imagenet(resize(unit_frame(f))) for f in mrgb[0]])[None],
        "mmfi_depth.raw": mdepth,
        "mmfi_depth.input": torch.stack([resize(unit_frame(f)) for f in mdepth[0]])[None],
    }
    const = out["gtdm_rgb.input"][0, 2]
    assert torch.allclose(const, imagenet(torch.zeros(3, *SIZE)), atol=0, rtol=0), "constant image"
    tensors = {k: (v.numpy() if isinstance(v, torch.Tensor) else v) for k, v in out.items()}
    save_file(tensors, os.path.join(OUT, "images.safetensors"), meta(antialias="true", size="28,32"))
    print("images: " + ", ".join(f"{k} {tuple(v.shape)}" for k, v in tensors.items()))


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    make_fbank()
    make_images()
    for name in sorted(os.listdir(OUT)):
        print(f"{name}: {os.path.getsize(os.path.join(OUT, name))} bytes")


if __name__ == "__main__":
    main()
