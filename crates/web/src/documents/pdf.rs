//! A minimal PDF writer: one A4 page of text lines in the standard Helvetica fonts with the
//! WinAnsi encoding (French accents, ’, «, », €), enough for printable letters and statements
//! without a PDF crate.

/// One line of text at `(x, y)` points from the bottom-left corner.
#[derive(Debug, Clone)]
pub struct Line {
    pub x: f32,
    pub y: f32,
    pub size: f32,
    pub bold: bool,
    pub text: String,
}

/// Lines laid out top-down from the top of an A4 page, `size`-point text; a new page starts
/// when one is full.
#[derive(Debug, Clone)]
pub struct Page {
    pub pages: Vec<Vec<Line>>,
    cursor: f32,
}

impl Default for Page {
    fn default() -> Self {
        Page::new()
    }
}

const TOP: f32 = 780.0;
const BOTTOM: f32 = 56.0;

impl Page {
    pub fn new() -> Page {
        Page {
            pages: vec![Vec::new()],
            cursor: TOP,
        }
    }

    /// Adds a line below the previous one.
    pub fn text(&mut self, size: f32, bold: bool, text: impl Into<String>) -> &mut Page {
        self.at(56.0, size, bold, text);
        self.cursor -= size * 1.6;
        self
    }

    /// Adds text at `x` on the current line without moving down (columns of a table row).
    pub fn at(&mut self, x: f32, size: f32, bold: bool, text: impl Into<String>) -> &mut Page {
        if self.cursor < BOTTOM {
            self.pages.push(Vec::new());
            self.cursor = TOP;
        }
        let y = self.cursor;
        self.pages
            .last_mut()
            .expect("at least one page")
            .push(Line {
                x,
                y,
                size,
                bold,
                text: text.into(),
            });
        self
    }

    /// Vertical space.
    pub fn skip(&mut self, points: f32) -> &mut Page {
        self.cursor -= points;
        self
    }

    pub fn render(&self) -> Vec<u8> {
        document(&self.pages)
    }
}

/// A character in WinAnsiEncoding (Windows-1252); `?` when it has none.
fn win_ansi(c: char) -> u8 {
    match c {
        '\u{20}'..='\u{7e}' => c as u8,
        '\u{a0}'..='\u{ff}' => c as u32 as u8,
        '€' => 0x80,
        '‚' => 0x82,
        '„' => 0x84,
        '…' => 0x85,
        'Œ' => 0x8c,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        'œ' => 0x9c,
        'Ÿ' => 0x9f,
        'ᵉ' => b'e',
        '\u{202f}' => 0xa0,
        _ => b'?',
    }
}

/// A PDF literal string `( ... )` in WinAnsi.
fn literal(text: &str, out: &mut Vec<u8>) {
    out.push(b'(');
    for c in text.chars() {
        let b = win_ansi(c);
        if matches!(b, b'(' | b')' | b'\\') {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b')');
}

fn content_stream(lines: &[Line]) -> Vec<u8> {
    let mut content = Vec::new();
    for l in lines {
        content.extend(
            format!(
                "BT /{} {} Tf {} {} Td ",
                if l.bold { "F2" } else { "F1" },
                l.size,
                l.x,
                l.y
            )
            .as_bytes(),
        );
        literal(&l.text, &mut content);
        content.extend(b" Tj ET\n");
    }
    content
}

/// An A4 document, one page per list of lines. Objects: 1 catalog, 2 pages, 3 and 4 the fonts,
/// then a page and its content stream for each page.
pub fn document(pages: &[Vec<Line>]) -> Vec<u8> {
    let n = pages.len().max(1);
    let kids: Vec<String> = (0..n).map(|i| format!("{} 0 R", 5 + 2 * i)).collect();
    let mut objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        format!("<< /Type /Pages /Kids [{}] /Count {n} >>", kids.join(" ")).into_bytes(),
    ];
    for font in ["Helvetica", "Helvetica-Bold"] {
        objects.push(
            format!(
                "<< /Type /Font /Subtype /Type1 /BaseFont /{font} /Encoding /WinAnsiEncoding >>"
            )
            .into_bytes(),
        );
    }
    let empty = Vec::new();
    for i in 0..n {
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {} 0 R >>",
                6 + 2 * i
            )
            .into_bytes(),
        );
        let content = content_stream(pages.get(i).unwrap_or(&empty));
        let mut stream = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
        stream.extend(&content);
        stream.extend(b"\nendstream");
        objects.push(stream);
    }
    let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend(o);
        out.extend(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for off in offsets {
        out.extend(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_a_pdf_with_accents_in_win_ansi() {
        let mut p = Page::new();
        p.text(16.0, true, "Courrier d’adressage (test) – 50,00 €")
            .text(11.0, false, "Élodie Lefèvre");
        let bytes = p.render();
        assert!(bytes.starts_with(b"%PDF-1.4"));
        assert!(bytes.ends_with(b"%%EOF\n"));
        let find = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
        assert!(find(
            b"(Courrier d\x92adressage \\(test\\) \x96 50,00 \x80)"
        ));
        assert!(find(b"(\xc9lodie Lef\xe8vre)"));
        assert!(find(b"/WinAnsiEncoding"));
        // The cross-reference table points at each object.
        let tail = std::str::from_utf8(&bytes[bytes.len() - 40..]).unwrap();
        let start: usize = tail
            .rsplit("startxref\n")
            .next()
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let xref = std::str::from_utf8(&bytes[start..]).unwrap();
        assert!(xref.starts_with("xref"));
        let first: usize = xref.lines().nth(3).unwrap()[..10].parse().unwrap();
        assert!(bytes[first..].starts_with(b"1 0 obj"));
    }

    #[test]
    fn long_documents_break_into_pages() {
        let mut p = Page::new();
        for i in 0..100 {
            p.text(11.0, false, format!("ligne {i}"));
        }
        assert_eq!(p.pages.len(), 3);
        let bytes = p.render();
        let find = |n: &[u8]| bytes.windows(n.len()).any(|w| w == n);
        assert!(find(b"/Count 3"));
        assert!(find(b"(ligne 99)"));
    }
}
