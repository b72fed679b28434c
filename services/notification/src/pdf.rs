//! Printing (文书排版): a [`FormalDocument`] as an A4 PDF with krilla, the font embedded as a
//! subset (only the glyphs used). The font comes from a file the project installs (Debian's
//! `fonts-noto-cjk`, see `.ci/run` and `deploy/local/up`), loaded and parsed once at start-up and
//! shared; nothing is fetched at run time. The output depends only on the document: no creation
//! date, stable ids.
//!
//! Speed (`docs/performance.md`): the text is set glyph by glyph from the font's character map
//! and advance widths, the same figures the line breaking measures with, instead of krilla's
//! `draw_text`, which builds a HarfBuzz face and shaping plan over the whole CJK font's layout
//! tables for every line (most of the former ~8 ms per document). Chinese official documents need
//! no shaping (no ligatures, no kerning between ideographs). Rendering is CPU work: callers on the
//! async runtime use [`FontBook::render_blocking`], which runs it on the blocking pool, at most one
//! document per core at a time.

use std::path::Path;
use std::sync::Arc;

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, GlyphId, KrillaGlyph};
use krilla::{Document, SerializeSettings};
use skrifa::instance::{LocationRef, Size};
use skrifa::{FontRef, MetadataProvider};

use crate::domain::{document::FormalDocument, template::date_zh_formal};

/// Why a document could not be printed.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("字体文件无法读取：{0}")]
    FontFile(#[from] std::io::Error),
    #[error("字体文件不是可用的 OpenType 字体（索引 {0}）")]
    FontData(u32),
    #[error("PDF 生成失败：{0}")]
    Render(String),
}

/// The typeface of every document (文书字体), loaded once and shared, with the permits that bound
/// how many documents print at once off the async threads.
#[derive(Clone)]
pub struct FontBook {
    data: Arc<Vec<u8>>,
    index: u32,
    font: Font,
    printers: Arc<tokio::sync::Semaphore>,
}

impl std::fmt::Debug for FontBook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FontBook")
            .field("index", &self.index)
            .finish()
    }
}

impl FontBook {
    /// Load the font at `path` (face `index` of a collection, e.g. 2 = Simplified Chinese in
    /// Noto Serif CJK).
    pub fn load(path: &Path, index: u32) -> Result<FontBook, PdfError> {
        let data = Arc::new(std::fs::read(path)?);
        FontRef::from_index(&data, index).map_err(|_| PdfError::FontData(index))?;
        let font = Font::new(data.clone().into(), index).ok_or(PdfError::FontData(index))?;
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Ok(FontBook {
            data,
            index,
            font,
            printers: Arc::new(tokio::sync::Semaphore::new(cores)),
        })
    }

    /// Print `doc` on the blocking pool, at most one document per core at a time (the others
    /// wait their turn rather than crowd the cores), so that the async threads stay free.
    pub async fn render_blocking(&self, doc: FormalDocument) -> Result<Vec<u8>, PdfError> {
        let _permit = self
            .printers
            .acquire()
            .await
            .map_err(|e| PdfError::Render(e.to_string()))?;
        let fonts = self.clone();
        tokio::task::spawn_blocking(move || render(&fonts, &doc))
            .await
            .map_err(|e| PdfError::Render(e.to_string()))?
    }

    /// [`render_batch`] on the blocking pool (one permit: a batch is one long print job).
    pub async fn render_batch_blocking(
        &self,
        title: String,
        docs: Vec<FormalDocument>,
    ) -> Result<Vec<u8>, PdfError> {
        let _permit = self
            .printers
            .acquire()
            .await
            .map_err(|e| PdfError::Render(e.to_string()))?;
        let fonts = self.clone();
        tokio::task::spawn_blocking(move || render_batch(&fonts, &title, &docs))
            .await
            .map_err(|e| PdfError::Render(e.to_string()))?
    }

    fn measure(&self) -> Result<Measure<'_>, PdfError> {
        let font = FontRef::from_index(&self.data, self.index)
            .map_err(|_| PdfError::FontData(self.index))?;
        Ok(Measure {
            charmap: font.charmap(),
            metrics: font.glyph_metrics(Size::new(1.0), LocationRef::default()),
        })
    }
}

/// Advance widths at 1 pt, per character.
struct Measure<'a> {
    charmap: skrifa::charmap::Charmap<'a>,
    metrics: skrifa::metrics::GlyphMetrics<'a>,
}

impl Measure<'_> {
    /// The glyph of `c` (`.notdef` when the font has none) and its advance at 1 pt.
    fn glyph(&self, c: char) -> (u32, f32) {
        let glyph = self.charmap.map(c);
        let advance = glyph
            .and_then(|g| self.metrics.advance_width(g))
            .unwrap_or(1.0);
        (glyph.map_or(0, |g| g.to_u32()), advance)
    }

    fn width(&self, c: char, size: f32) -> f32 {
        self.glyph(c).1 * size
    }

    /// The glyphs of `text`, each with its character's range (for the text layer that pdftotext
    /// and screen readers read) and its advance (normalised to the em, as krilla wants it).
    fn glyphs(&self, text: &str) -> Vec<KrillaGlyph> {
        text.char_indices()
            .map(|(i, c)| {
                let (glyph, advance) = self.glyph(c);
                KrillaGlyph::new(
                    GlyphId::new(glyph),
                    advance,
                    0.0,
                    0.0,
                    0.0,
                    i..i + c.len_utf8(),
                    None,
                )
            })
            .collect()
    }

    fn text_width(&self, s: &str, size: f32) -> f32 {
        s.chars().map(|c| self.width(c, size)).sum()
    }
}

// A4 in points, margins of GB/T 9704 (top 37 mm, left 28 mm, right 26 mm, bottom 35 mm).
const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MM: f32 = 2.834_646;
const LEFT: f32 = 28.0 * MM;
const RIGHT: f32 = PAGE_W - 26.0 * MM;
const TOP: f32 = 37.0 * MM;
const BOTTOM: f32 = PAGE_H - 35.0 * MM;
const BODY_SIZE: f32 = 15.0;
const LINE: f32 = BODY_SIZE * 1.75;

/// Characters that never start a line (避头点): they hang at the end of the previous one.
fn no_line_start(c: char) -> bool {
    "，。、；：！？）》」』”’%".contains(c)
}

/// Break `text` into lines no wider than `width`: CJK breaks anywhere, a run of ASCII (a case
/// number, a date) stays whole, closing punctuation hangs.
fn wrap(m: &Measure<'_>, text: &str, size: f32, width: f32, first_indent: f32) -> Vec<String> {
    let mut tokens: Vec<String> = Vec::new();
    for c in text.chars() {
        match tokens.last_mut() {
            Some(last)
                if c.is_ascii_graphic()
                    && last.chars().last().is_some_and(|p| p.is_ascii_graphic()) =>
            {
                last.push(c)
            }
            _ => tokens.push(c.to_string()),
        }
    }
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut used = first_indent;
    for t in tokens {
        let w = m.text_width(&t, size);
        let hangs = t.chars().all(no_line_start);
        if used + w > width && !line.is_empty() && !hangs {
            lines.push(std::mem::take(&mut line));
            used = 0.0;
        }
        used += w;
        line.push_str(&t);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

fn red() -> rgb::Color {
    rgb::Color::new(200, 16, 46)
}

fn fill(color: rgb::Color) -> Fill {
    Fill {
        paint: color.into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

struct Pen<'a> {
    fonts: &'a FontBook,
    measure: Measure<'a>,
}

impl Pen<'_> {
    fn text(&self, s: &mut Surface<'_>, x: f32, y: f32, size: f32, text: &str) {
        s.draw_glyphs(
            Point::from_xy(x, y),
            &self.measure.glyphs(text),
            self.fonts.font.clone(),
            text,
            size,
            false,
        );
    }

    fn centred(&self, s: &mut Surface<'_>, y: f32, size: f32, text: &str) {
        let w = self.measure.text_width(text, size);
        self.text(s, (PAGE_W - w) / 2.0, y, size, text);
    }

    fn right(&self, s: &mut Surface<'_>, right: f32, y: f32, size: f32, text: &str) {
        let w = self.measure.text_width(text, size);
        self.text(s, right - w, y, size, text);
    }
}

/// What the number under the heading is: a petition's 信访件编号 (`140423-2026-000042`), or the
/// reference of another matter (a dispute registered before any petition: `纠纷-…`).
fn number_label(number: &str) -> &'static str {
    let parts: Vec<&str> = number.split('-').collect();
    let petition = parts.len() == 3
        && [6, 4, 6]
            .iter()
            .zip(&parts)
            .all(|(n, p)| p.len() == *n && p.chars().all(|c| c.is_ascii_digit()));
    if petition {
        "信访件编号"
    } else {
        "编号"
    }
}

/// One line of the body as laid out: its text and indent.
struct Laid {
    text: String,
    indent: f32,
}

/// Print `doc` as an A4 PDF: the organ's name in red as the heading, a red rule, 文号 and 信访件编号,
/// the title, the addressee, the body (two-character indent), the organ's name and the date in
/// Chinese numerals at the foot with a seal placeholder (印章位置) over them, page numbers
/// (`— 1 —`) on every page.
pub fn render(fonts: &FontBook, doc: &FormalDocument) -> Result<Vec<u8>, PdfError> {
    let mut document = Document::new_with(settings());
    document.set_metadata(
        Metadata::new()
            .title(format!("{}（{}）", doc.title, doc.case_number))
            .creator(doc.organ_name.clone())
            .language("zh-CN".into()),
    );
    pages_of(fonts, &mut document, doc)?;
    document
        .finish()
        .map_err(|e| PdfError::Render(format!("{e:?}")))
}

/// Print several documents into one PDF (批量打印, the post room's letters of a day): each starts
/// on a new page and keeps its own page numbers, in the order given.
pub fn render_batch(
    fonts: &FontBook,
    title: &str,
    docs: &[FormalDocument],
) -> Result<Vec<u8>, PdfError> {
    let mut document = Document::new_with(settings());
    let organ = docs
        .first()
        .map(|d| d.organ_name.clone())
        .unwrap_or_default();
    document.set_metadata(
        Metadata::new()
            .title(title.to_string())
            .creator(organ)
            .language("zh-CN".into()),
    );
    for doc in docs {
        pages_of(fonts, &mut document, doc)?;
    }
    document
        .finish()
        .map_err(|e| PdfError::Render(format!("{e:?}")))
}

fn settings() -> SerializeSettings {
    SerializeSettings {
        enable_tagging: false,
        xmp_metadata: false,
        ..SerializeSettings::default()
    }
}

/// The pages of one document, added to `document`.
fn pages_of(
    fonts: &FontBook,
    document: &mut Document,
    doc: &FormalDocument,
) -> Result<(), PdfError> {
    let pen = Pen {
        fonts,
        measure: fonts.measure()?,
    };
    let width = RIGHT - LEFT;
    let indent = 2.0 * BODY_SIZE;
    let mut body: Vec<Laid> = Vec::new();
    body.push(Laid {
        text: format!("{}：", doc.addressee),
        indent: 0.0,
    });
    for paragraph in doc.body.lines().map(str::trim).filter(|p| !p.is_empty()) {
        for (i, text) in wrap(&pen.measure, paragraph, BODY_SIZE, width, indent)
            .into_iter()
            .enumerate()
        {
            body.push(Laid {
                text,
                indent: if i == 0 { indent } else { 0.0 },
            });
        }
    }

    // Paginate: the first page starts below the heading block, the others at the top margin;
    // the signature block (3 lines) stays with the last lines.
    let first_top = TOP + 150.0;
    let per_page = |top: f32| (((BOTTOM - top) / LINE).floor() as usize).max(1);
    let mut pages: Vec<Vec<&Laid>> = vec![Vec::new()];
    let mut capacity = per_page(first_top);
    for l in &body {
        if pages.last().is_some_and(|p| p.len() >= capacity) {
            pages.push(Vec::new());
            capacity = per_page(TOP);
        }
        if let Some(p) = pages.last_mut() {
            p.push(l);
        }
    }
    let signature_lines = 4;
    if pages.last().map_or(0, |p| p.len()) + signature_lines > capacity {
        pages.push(Vec::new());
    }
    let total = pages.len();

    for (n, lines) in pages.iter().enumerate() {
        let size = PageSettings::from_wh(PAGE_W, PAGE_H)
            .ok_or_else(|| PdfError::Render("页面尺寸".into()))?;
        let mut page = document.start_page_with(size);
        let mut s = page.surface();
        let mut y = TOP;
        if n == 0 {
            s.set_fill(Some(fill(red())));
            pen.centred(&mut s, y + 26.0, 26.0, &doc.organ_name);
            let mut rule = PathBuilder::new();
            rule.move_to(LEFT, y + 44.0);
            rule.line_to(RIGHT, y + 44.0);
            if let Some(path) = rule.finish() {
                s.set_fill(None);
                s.set_stroke(Some(Stroke {
                    paint: red().into(),
                    width: 1.5,
                    ..Stroke::default()
                }));
                s.draw_path(&path);
                s.set_stroke(None);
            }
            s.set_fill(Some(fill(rgb::Color::black())));
            if let Some(number) = &doc.document_number {
                pen.centred(&mut s, y + 66.0, 12.0, number);
            }
            pen.right(
                &mut s,
                RIGHT,
                y + 84.0,
                10.5,
                &format!("{}：{}", number_label(&doc.case_number), doc.case_number),
            );
            pen.centred(&mut s, y + 120.0, 20.0, &doc.title);
            y = first_top;
        } else {
            s.set_fill(Some(fill(rgb::Color::black())));
        }
        for l in lines {
            y += LINE;
            pen.text(&mut s, LEFT + l.indent, y, BODY_SIZE, &l.text);
        }
        if n + 1 == total {
            // Signature (落款), the date and the seal placeholder over them.
            let name_y = y + LINE * 2.5;
            let date_y = name_y + LINE;
            let date = date_zh_formal(doc.dated_on);
            let right = RIGHT - 2.0 * BODY_SIZE;
            pen.right(&mut s, right, name_y, BODY_SIZE, &doc.organ_name);
            pen.right(&mut s, right, date_y, BODY_SIZE, &date);
            let cx = right - pen.measure.text_width(&date, BODY_SIZE) / 2.0;
            let cy = name_y - 4.0;
            let mut circle = PathBuilder::new();
            let r = 42.0_f32;
            let k = 0.552_284_8 * r;
            circle.move_to(cx + r, cy);
            circle.cubic_to(cx + r, cy + k, cx + k, cy + r, cx, cy + r);
            circle.cubic_to(cx - k, cy + r, cx - r, cy + k, cx - r, cy);
            circle.cubic_to(cx - r, cy - k, cx - k, cy - r, cx, cy - r);
            circle.cubic_to(cx + k, cy - r, cx + r, cy - k, cx + r, cy);
            circle.close();
            if let Some(path) = circle.finish() {
                s.set_fill(None);
                s.set_stroke(Some(Stroke {
                    paint: red().into(),
                    width: 1.0,
                    ..Stroke::default()
                }));
                s.draw_path(&path);
                s.set_stroke(None);
            }
            s.set_fill(Some(fill(red())));
            pen.centred_at(&mut s, cx, cy + 4.0, 9.0, "（印章）");
            s.set_fill(Some(fill(rgb::Color::black())));
        }
        pen.centred(&mut s, PAGE_H - 20.0 * MM, 12.0, &format!("— {} —", n + 1));
        s.finish();
        page.finish();
    }
    Ok(())
}

impl Pen<'_> {
    fn centred_at(&self, s: &mut Surface<'_>, cx: f32, y: f32, size: f32, text: &str) {
        let w = self.measure.text_width(text, size);
        self.text(s, cx - w / 2.0, y, size, text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    /// The font as `.ci/run` installs it; the tests that print need it.
    pub fn fonts() -> FontBook {
        FontBook::load(
            Path::new("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"),
            2,
        )
        .expect("fonts-noto-cjk is installed (.ci/run installs it)")
    }

    fn doc(body: &str) -> FormalDocument {
        FormalDocument {
            organ_name: "襄垣县信访局".into(),
            document_number: Some("襄信访〔2026〕12号".into()),
            case_number: "140423-2026-000042".into(),
            title: "信访事项处理意见书".into(),
            addressee: "张三".into(),
            body: body.into(),
            dated_on: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        }
    }

    #[test]
    fn the_same_document_prints_to_the_same_bytes_and_embeds_a_subset() {
        let f = fonts();
        let a = render(&f, &doc("经调查核实，您反映的情况属实。")).unwrap();
        let b = render(&f, &doc("经调查核实，您反映的情况属实。")).unwrap();
        assert_eq!(a, b);
        assert!(a.starts_with(b"%PDF-"));
        // A subset: far smaller than the 26 MB collection.
        assert!(a.len() < 200_000, "{} bytes", a.len());
        let c = render(&f, &doc("经调查核实，您反映的情况不属实。")).unwrap();
        assert_ne!(a, c);
    }

    #[test]
    fn a_batch_holds_every_letter_with_its_own_page_numbers() {
        let f = fonts();
        let mut long = doc(&"经调查核实，您反映的情况属实。".repeat(120));
        long.addressee = "李四".into();
        let docs = [doc("经调查核实，您反映的情况属实。"), long];
        let batch = render_batch(&f, "待寄信件（2 件）", &docs).unwrap();
        assert!(batch.starts_with(b"%PDF-"));
        assert_eq!(batch, render_batch(&f, "待寄信件（2 件）", &docs).unwrap());
        let path = std::env::temp_dir().join(format!("xf-batch-{}.pdf", uuid::Uuid::new_v4()));
        std::fs::write(&path, &batch).unwrap();
        let out = std::process::Command::new("pdftotext")
            .args(["-layout"])
            .arg(&path)
            .arg("-")
            .output()
            .expect("pdftotext (poppler-utils, installed by .ci/run)");
        let _ = std::fs::remove_file(&path);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("张三：") && text.contains("李四："), "{text}");
        // Each letter numbers its own pages: the second starts again at 1 and runs on.
        let compact = text.replace(' ', "");
        assert_eq!(compact.matches("—1—").count(), 2, "{text}");
        assert!(compact.contains("—2—"), "{text}");
        // The letters' pages in order: the first letter's page, then the second's.
        assert!(text.find("张三：").unwrap() < text.find("李四：").unwrap());
    }

    #[test]
    fn a_dispute_is_numbered_as_such() {
        assert_eq!(number_label("140423-2026-000042"), "信访件编号");
        assert_eq!(
            number_label("纠纷-0190a1b2-0000-7000-8000-000000000000"),
            "编号"
        );
    }

    #[test]
    fn every_character_is_set_with_its_own_glyph_and_range() {
        let f = fonts();
        let m = f.measure().unwrap();
        let glyphs = m.glyphs("信访A1");
        assert_eq!(glyphs.len(), 4);
        assert_eq!(glyphs[1].text_range, 3..6);
        assert_eq!(glyphs[3].text_range, 7..8);
        assert!(glyphs.iter().all(|g| g.glyph_id != GlyphId::new(0)));
        // Ideographs are a full em wide; the layout measures with the same advances.
        assert!((glyphs[0].x_advance - 1.0).abs() < 1e-3);
        assert!(
            (m.text_width("信访A1", 10.0) - 10.0 * glyphs.iter().map(|g| g.x_advance).sum::<f32>())
                .abs()
                < 1e-3
        );
    }

    #[tokio::test]
    async fn printing_off_the_async_threads_gives_the_same_bytes() {
        let f = fonts();
        let d = doc("经调查核实，您反映的情况属实。");
        let direct = render(&f, &d).unwrap();
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let f = f.clone();
                let d = d.clone();
                tokio::spawn(async move { f.render_blocking(d).await.unwrap() })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap(), direct);
        }
    }

    #[test]
    fn long_bodies_wrap_and_run_onto_more_pages() {
        let f = fonts();
        let long = "经调查核实，您反映的情况属实，本机关已责成有关单位依法处理。".repeat(60);
        let pdf = render(&f, &doc(&long)).unwrap();
        let pages = pdf.windows(b"/Type /Page\n".len()).count();
        assert!(pages > 0);
        let m = f.measure().unwrap();
        let lines = wrap(&m, &long, BODY_SIZE, RIGHT - LEFT, 30.0);
        assert!(lines.len() > 40);
        for l in &lines {
            assert!(m.text_width(l, BODY_SIZE) <= RIGHT - LEFT + 2.0 * BODY_SIZE);
            assert!(!l.starts_with('，') && !l.starts_with('。'));
        }
        let with_number = wrap(
            &m,
            &format!("{}140423-2026-000042号", "字".repeat(27)),
            BODY_SIZE,
            RIGHT - LEFT,
            0.0,
        );
        assert!(with_number.iter().any(|l| l.contains("140423-2026-000042")));
    }
}
