//! The label image: level, registration number, scheme name and a QR code
//! holding the product page's URL, as SVG and as PNG.
//!
//! Text is drawn from embedded glyph outlines rather than `<text>`, so the
//! PNG renderer needs no font and a viewer of the SVG shows the same shapes.

use std::fmt::Write as _;

use qrcode::{Color, EcLevel, QrCode};

mod glyphs;

/// Why a label image could not be made.
#[derive(Debug, thiserror::Error)]
pub enum LabelImageError {
    /// The page URL is too long for a QR code.
    #[error("the product page URL {url:?} does not fit in a QR code: {message}")]
    Qr {
        /// The product page URL.
        url: String,
        /// The QR encoder's message.
        message: String,
    },
    /// Rendering the SVG to PNG failed.
    #[error("rendering the label SVG to PNG failed: {0}")]
    Render(String),
}

/// What the label shows.
#[derive(Debug, Clone)]
pub struct LabelArt<'a> {
    /// 1 to 4.
    pub level: u8,
    /// The registration number printed on the label.
    pub number: &'a str,
    /// The product information page, encoded in the QR code.
    pub url: &'a str,
    /// For a label that is not active: the status drawn across it (e.g.
    /// `REVOKED`), so a copy of the image shown anywhere tells the truth.
    /// The QR code stays readable and leads to the page that explains it.
    pub status: Option<&'a str>,
}

/// Colour of the status band.
const STATUS_RED: &str = "#cf222e";

const WIDTH: f32 = 640.0;
const HEIGHT: f32 = 300.0;
const INK: &str = "#0b2e59";

fn glyph(c: char) -> (f32, &'static str) {
    glyphs::GLYPHS
        .iter()
        .find(|(g, _, _)| *g == c)
        .or_else(|| glyphs::GLYPHS.iter().find(|(g, _, _)| *g == '?'))
        .map(|(_, adv, d)| (*adv, *d))
        .unwrap_or((0.0, ""))
}

/// Width of `text` at `size` (pixels per em).
fn text_width(text: &str, size: f32) -> f32 {
    text.chars().map(|c| glyph(c).0).sum::<f32>() * size / glyphs::UNITS_PER_EM
}

/// `text` as filled paths with its baseline starting at (x, y).
fn text_paths(out: &mut String, text: &str, x: f32, y: f32, size: f32, fill: &str) {
    let k = size / glyphs::UNITS_PER_EM;
    let mut pen = x;
    let _ = write!(out, r#"<g fill="{fill}">"#);
    for c in text.chars() {
        let (adv, d) = glyph(c);
        if !d.is_empty() {
            let _ = write!(
                out,
                r#"<path transform="translate({pen:.2} {y:.2}) scale({k:.5} {neg:.5})" d="{d}"/>"#,
                neg = -k
            );
        }
        pen += adv * k;
    }
    out.push_str("</g>");
}

/// Text centred on `cx`.
fn text_centred(out: &mut String, text: &str, cx: f32, y: f32, size: f32, fill: &str) {
    let w = text_width(text, size);
    text_paths(out, text, cx - w / 2.0, y, size, fill);
}

/// The label as an SVG document.
pub fn label_svg(art: &LabelArt<'_>) -> Result<String, LabelImageError> {
    let code =
        QrCode::with_error_correction_level(art.url.as_bytes(), EcLevel::M).map_err(|e| {
            LabelImageError::Qr {
                url: art.url.to_string(),
                message: e.to_string(),
            }
        })?;
    let modules = code.width();
    let colors = code.to_colors();
    let level = art.level.clamp(1, 4);

    let mut s = String::with_capacity(64 * 1024);
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="JC-STAR ★{level} {number}{status}">"#,
        number = xml_escape(art.number),
        status = art
            .status
            .map(|t| format!(" ({})", xml_escape(t)))
            .unwrap_or_default(),
    );
    if let Some(t) = art.status {
        let _ = write!(s, "<title>{}</title>", xml_escape(t));
    }
    let _ = write!(
        s,
        r##"<rect x="4" y="4" width="{w}" height="{h}" rx="18" fill="#ffffff" stroke="{frame}" stroke-width="8"/>"##,
        w = WIDTH - 8.0,
        h = HEIGHT - 8.0,
        frame = if art.status.is_some() {
            STATUS_RED
        } else {
            INK
        },
    );
    // Left panel: scheme name, stars, level, number.
    let left_cx = 200.0;
    text_centred(&mut s, "JC-STAR", left_cx, 78.0, 56.0, INK);
    let stars: String = (1..=4)
        .map(|i| if i <= level { '★' } else { '☆' })
        .collect();
    text_centred(&mut s, &stars, left_cx, 150.0, 56.0, "#d4a000");
    text_centred(&mut s, &format!("★{level}"), left_cx, 214.0, 52.0, INK);
    // A long number is shrunk to fit the panel.
    let mut size = 30.0;
    while size > 12.0 && text_width(art.number, size) > 350.0 {
        size -= 1.0;
    }
    text_centred(&mut s, art.number, left_cx, 262.0, size, INK);
    if let Some(t) = art.status {
        status_band(&mut s, t, left_cx);
    }

    // Right panel: the QR code with its quiet zone.
    let box_size = 236.0;
    let quiet = 4usize;
    let scale = box_size / (modules + 2 * quiet) as f32;
    let (qx, qy) = (WIDTH - 32.0 - box_size, (HEIGHT - box_size) / 2.0);
    let _ = write!(
        s,
        r##"<rect x="{qx}" y="{qy}" width="{box_size}" height="{box_size}" fill="#ffffff"/>"##
    );
    let _ = write!(
        s,
        r##"<path fill="#000000" shape-rendering="crispEdges" transform="translate({qx:.3} {qy:.3}) scale({scale:.5})" d=""##
    );
    for (i, c) in colors.iter().enumerate() {
        if *c == Color::Dark {
            let (x, y) = (i % modules + quiet, i / modules + quiet);
            let _ = write!(s, "M{x} {y}h1v1h-1z");
        }
    }
    s.push_str(r#""/>"#);
    s.push_str("</svg>");
    Ok(s)
}

/// A slanted band across the left panel (the stars and level) with the
/// status in it; its corners stop short of the QR code.
fn status_band(out: &mut String, text: &str, cx: f32) {
    let cy = 150.0;
    let (w, h) = (330.0, 76.0);
    let _ = write!(
        out,
        r##"<g id="status" transform="rotate(-12 {cx} {cy})"><rect x="{x}" y="{y}" width="{w}" height="{h}" rx="6" fill="{STATUS_RED}"/>"##,
        x = cx - w / 2.0,
        y = cy - h / 2.0,
    );
    let mut size = 46.0;
    while size > 14.0 && text_width(text, size) > w - 30.0 {
        size -= 1.0;
    }
    text_centred(out, text, cx, cy + size * 0.36, size, "#ffffff");
    out.push_str("</g>");
}

/// The label as a PNG, `scale` times the SVG's pixel size.
pub fn label_png(art: &LabelArt<'_>, scale: f32) -> Result<Vec<u8>, LabelImageError> {
    use resvg::{tiny_skia, usvg};
    let svg = label_svg(art)?;
    let tree = usvg::Tree::from_str(&svg, &usvg::Options::default())
        .map_err(|e| LabelImageError::Render(e.to_string()))?;
    let scale = scale.clamp(0.5, 8.0);
    let size =
        tree.size().to_int_size().scale_by(scale).ok_or_else(|| {
            LabelImageError::Render(format!("scale {scale} gives an empty image"))
        })?;
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height())
        .ok_or_else(|| LabelImageError::Render("cannot allocate the image".into()))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| LabelImageError::Render(e.to_string()))
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_qr(png: &[u8]) -> String {
        let pixmap = resvg::tiny_skia::Pixmap::decode_png(png).expect("our own PNG decodes");
        let (w, h) = (pixmap.width() as usize, pixmap.height() as usize);
        let data = pixmap.data();
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
            let i = (y * w + x) * 4;
            data[i]
        });
        let grids = img.detect_grids();
        assert_eq!(grids.len(), 1, "exactly one QR code on the label");
        let (_, content) = grids[0].decode().expect("QR decodes");
        content
    }

    #[test]
    fn png_qr_holds_the_product_page_url() {
        for (level, number) in [(1, "JCS1-2026-000123-K"), (4, "JCS4-2027-1234567-Z")] {
            let url = format!("https://labels.example.jp/labels/{number}");
            let art = LabelArt {
                level,
                number,
                url: &url,
                status: None,
            };
            let png = label_png(&art, 2.0).unwrap();
            assert_eq!(&png[1..4], b"PNG");
            assert_eq!(decode_qr(&png), url);
        }
    }

    #[test]
    fn a_status_is_drawn_across_and_the_qr_still_reads() {
        let url = "https://labels.example.jp/labels/JCS1-2026-000123-K";
        for status in ["REVOKED", "UNDER SURVEILLANCE"] {
            let art = LabelArt {
                level: 1,
                number: "JCS1-2026-000123-K",
                url,
                status: Some(status),
            };
            let svg = label_svg(&art).unwrap();
            assert!(svg.contains(&format!("<title>{status}</title>")));
            assert!(svg.contains(r#"<g id="status""#));
            let png = label_png(&art, 2.0).unwrap();
            let pixmap = resvg::tiny_skia::Pixmap::decode_png(&png).unwrap();
            // The band's red at the middle of the left panel.
            let p = pixmap.pixel(2 * 200, 2 * 120).unwrap();
            assert!(p.red() > 180 && p.green() < 80 && p.blue() < 90, "{p:?}");
            assert_eq!(decode_qr(&png), url);
        }
    }

    #[test]
    fn svg_draws_text_as_paths_and_escapes() {
        let art = LabelArt {
            level: 2,
            number: "JCS2-2026-000001-<",
            url: "http://127.0.0.1/labels/x",
            status: None,
        };
        let svg = label_svg(&art).unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(!svg.contains("<text"));
        assert!(svg.contains("JCS2-2026-000001-&lt;"));
        assert!(!svg.contains("000001-<"));
        // 7 letters of JC-STAR minus none blank + stars + level + number: many glyph paths.
        assert!(svg.matches("<path").count() > 30);
    }
}
