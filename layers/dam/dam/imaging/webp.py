"""Still WebP decoded straight to the preview's size by libwebp's own scaler (as libvips does).

Pillow has no `draft` for WebP: it decodes every pixel to RGB and then resizes, which for a 12 MP photo
is ~4× the time and ~3× the memory of letting libwebp rescale while it converts from YUV. The libwebp
used is the one Pillow's `_webp` module is linked against (dlsym on its handle searches its
dependencies), so no other native library ships. Any surprise — symbols missing, an ABI of another
major version, a status other than OK — returns None and the caller decodes with Pillow, which also
reports damaged files in its usual way.
"""

from __future__ import annotations

import ctypes
from functools import lru_cache

from PIL import Image

# decode.h: the library accepts any ABI of the same major version (WEBP_ABI_IS_INCOMPATIBLE compares the
# high byte); 0x0209 (libwebp 1.3) and 0x0210 (1.6) share the struct layouts below.
_DECODER_ABI = 0x0209
_MODE_RGB, _MODE_RGBA = 0, 1
_STATUS_OK = 0
_INT = ctypes.c_int


class _RGBABuffer(ctypes.Structure):
    _fields_ = [("rgba", ctypes.c_void_p), ("stride", _INT), ("size", ctypes.c_size_t)]


class _YUVABuffer(ctypes.Structure):
    _fields_ = [
        *((plane, ctypes.c_void_p) for plane in ("y", "u", "v", "a")),
        *((stride, _INT) for stride in ("y_stride", "u_stride", "v_stride", "a_stride")),
        *((size, ctypes.c_size_t) for size in ("y_size", "u_size", "v_size", "a_size")),
    ]


class _Planes(ctypes.Union):
    _fields_ = [("RGBA", _RGBABuffer), ("YUVA", _YUVABuffer)]


class _DecBuffer(ctypes.Structure):
    _fields_ = [
        ("colorspace", _INT),
        ("width", _INT),
        ("height", _INT),
        ("is_external_memory", _INT),
        ("u", _Planes),
        ("pad", ctypes.c_uint32 * 4),
        ("private_memory", ctypes.c_void_p),
    ]


class _Features(ctypes.Structure):
    _fields_ = [
        *((name, _INT) for name in ("width", "height", "has_alpha", "has_animation", "format")),
        ("pad", ctypes.c_uint32 * 5),
    ]


_OPTIONS = (  # WebPDecoderOptions, in order
    "bypass_filtering",
    "no_fancy_upsampling",
    "use_cropping",
    "crop_left",
    "crop_top",
    "crop_width",
    "crop_height",
    "use_scaling",
    "scaled_width",
    "scaled_height",
    "use_threads",
    "dithering_strength",
    "flip",
    "alpha_dithering_strength",
)


class _Options(ctypes.Structure):
    _fields_ = [*((name, _INT) for name in _OPTIONS), ("pad", ctypes.c_uint32 * 5)]


class _DecoderConfig(ctypes.Structure):
    _fields_ = [("input", _Features), ("output", _DecBuffer), ("options", _Options)]


@lru_cache(maxsize=1)
def _libwebp() -> ctypes.CDLL | None:
    try:
        from PIL import _webp

        library = ctypes.CDLL(_webp.__file__)
        for name in ("WebPInitDecoderConfigInternal", "WebPGetFeaturesInternal", "WebPDecode"):
            getattr(library, name).restype = _INT
    except (ImportError, OSError, AttributeError):
        return None
    return library


def decode_scaled(data: bytes, size: tuple[int, int]) -> Image.Image | None:
    """The still WebP in `data` decoded at `size` (RGB, or RGBA when it has alpha), or None when libwebp
    can't do it here (not found, animated, damaged): decode with Pillow instead."""
    library = _libwebp()
    if library is None:
        return None
    config = _DecoderConfig()
    if not library.WebPInitDecoderConfigInternal(ctypes.byref(config), _DECODER_ABI):
        return None
    features = config.input
    status = library.WebPGetFeaturesInternal(data, len(data), ctypes.byref(features), _DECODER_ABI)
    if status != _STATUS_OK or features.has_animation:
        return None
    mode = "RGBA" if features.has_alpha else "RGB"
    width, height = size
    stride = width * len(mode)
    pixels = bytearray(stride * height)
    target = (ctypes.c_char * len(pixels)).from_buffer(pixels)
    output = config.output
    output.colorspace = _MODE_RGBA if features.has_alpha else _MODE_RGB
    output.is_external_memory = 1  # libwebp writes into `pixels`: nothing to free afterwards
    output.u.RGBA.rgba = ctypes.addressof(target)
    output.u.RGBA.stride = stride
    output.u.RGBA.size = len(pixels)
    options = config.options
    options.use_scaling, options.scaled_width, options.scaled_height = 1, width, height
    options.use_threads = 1
    status = library.WebPDecode(data, len(data), ctypes.byref(config))
    del target  # releases the export of `pixels`
    if status != _STATUS_OK:
        return None
    return Image.frombuffer(mode, size, pixels, "raw", mode, 0, 1)
