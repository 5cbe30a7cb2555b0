"""Draw the app icons (NHS-blue square, white "A") with Pillow. Run once; the PNGs are committed."""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

OUT = Path(__file__).resolve().parent.parent / "assets" / "icons"
BLUE = (0, 94, 184)


def icon(size: int, *, maskable: bool = False) -> Image.Image:
    image = Image.new("RGB", (size, size), BLUE)
    draw = ImageDraw.Draw(image)
    # Maskable icons keep the mark inside the central 80% safe zone.
    scale = 0.5 if maskable else 0.62
    try:
        font = ImageFont.truetype("DejaVuSans-Bold.ttf", int(size * scale))
    except OSError:
        font = ImageFont.load_default(size=int(size * scale))
    draw.text((size / 2, size / 2), "A", fill="white", font=font, anchor="mm")
    return image


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        icon(size).save(OUT / f"icon-{size}.png", optimize=True)
        icon(size, maskable=True).save(OUT / f"maskable-{size}.png", optimize=True)
    icon(180).save(OUT / "apple-touch-icon.png", optimize=True)
    icon(32).save(OUT / "favicon-32.png", optimize=True)


if __name__ == "__main__":
    main()
