//! Markdown for text that comes from files the page fetches (an exercise's story, instructions,
//! hints, explanation): CommonMark through pulldown-cmark with everything that could run code or
//! reach another origin taken out. Raw HTML is shown as text, links are kept only to relative or
//! `https:` URLs (others become their text), and images become their alt text (an image would
//! be a request to wherever it points). It knows nothing of exercises.

use pulldown_cmark::{Event, LinkType, Options, Parser, Tag, TagEnd};
use yew::{AttrValue, Html};

/// Whether a link to `url` may stay a link: relative URLs (same origin) and `https:` ones.
/// Browsers ignore tabs and newlines inside a URL and leading control characters or spaces, so
/// `java\tscript:` is `javascript:` to them: the check reads the URL as they do. A leading `//`
/// or any backslash could name another host, so those go too.
fn safe_url(url: &str) -> bool {
    let cleaned: String = url.chars().filter(|c| !matches!(c, '\t' | '\n' | '\r')).collect();
    let cleaned = cleaned.trim_start_matches(|c: char| c <= ' ');
    if cleaned.starts_with("//") || cleaned.contains('\\') {
        return false;
    }
    match cleaned.find([':', '/', '?', '#']) {
        Some(i) if cleaned[i..].starts_with(':') => cleaned[..i].eq_ignore_ascii_case("https"),
        _ => true,
    }
}

/// `markdown` as HTML that is safe to insert into the page: no element, attribute or URL in the
/// output comes from the input except links that pass [`safe_url`]; everything else is escaped
/// text.
pub fn to_html(markdown: &str) -> String {
    // No tables: their alignment is an inline style, which the page's CSP refuses.
    let options = Options::ENABLE_STRIKETHROUGH;
    // Links do not nest in CommonMark, so one flag says whether the open link was dropped.
    let mut dropping_link = false;
    let events = Parser::new_ext(markdown, options).filter_map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
        // The writer writes an HTML block's lines as they are; as a paragraph, they are text.
        Event::Start(Tag::HtmlBlock) => Some(Event::Start(Tag::Paragraph)),
        Event::End(TagEnd::HtmlBlock) => Some(Event::End(TagEnd::Paragraph)),
        Event::Start(Tag::Link { link_type, ref dest_url, .. }) => {
            dropping_link = link_type == LinkType::Email || !safe_url(dest_url);
            (!dropping_link).then_some(event)
        }
        Event::End(TagEnd::Link) => (!std::mem::take(&mut dropping_link)).then_some(event),
        // The alt text is the events between the two; without the tags it is plain text.
        Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) => None,
        other => Some(other),
    });
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events);
    html
}

/// `markdown` rendered for the page (see [`to_html`] for what is kept).
pub fn render(markdown: &str) -> Html {
    Html::from_html_unchecked(AttrValue::from(to_html(markdown)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every tag in `html` is one Markdown itself makes, with no attribute but a link's `href`
    /// (to a safe URL) or a code block's language class. Text escapes `<`, so each `<` opens a tag.
    fn assert_inert(html: &str) {
        const TAGS: [&str; 21] = [
            "p",
            "em",
            "strong",
            "code",
            "pre",
            "ul",
            "ol",
            "li",
            "a",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "blockquote",
            "hr",
            "br",
            "del",
            "sup",
            "div",
        ];
        for tag in html.split('<').skip(1) {
            let tag = &tag[..tag.find('>').unwrap_or_else(|| panic!("unclosed tag in {html}"))];
            let tag = tag.trim_start_matches('/').trim_end_matches('/').trim();
            let (name, attrs) = tag.split_once(' ').unwrap_or((tag, ""));
            assert!(TAGS.contains(&name), "<{name}> in {html}");
            let attrs = attrs.trim();
            let href_ok =
                name == "a" && attrs.strip_prefix("href=\"").and_then(|a| a.strip_suffix('"')).is_some_and(safe_url);
            let ok =
                attrs.is_empty() || href_ok || attrs.starts_with("class=\"language-") || attrs.starts_with("start=");
            assert!(ok, "<{tag}> in {html}");
        }
    }

    #[test]
    fn script_tags_are_text() {
        let html = to_html("Hello <script>alert(1)</script> world\n\n<script>\nalert(2)\n</script>\n");
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{html}");
        assert!(html.contains("alert(2)"), "{html}");
        assert_inert(&html);
    }

    #[test]
    fn html_with_handlers_is_text() {
        let html = to_html("<img src=x onerror=alert(1)>\n\ninline <b onclick=\"alert(1)\">bold</b> and <a href=\"javascript:x\">a</a>");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("<b "), "{html}");
        assert!(!html.contains("<a href=\"javascript"), "{html}");
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"), "{html}");
        assert_inert(&html);
    }

    #[test]
    fn unsafe_links_become_their_text() {
        for md in [
            "[click](javascript:alert(1))",
            "[click](JavaScript:alert(1))",
            "[click](java\tscript:alert(1))",
            "[click](java&#9;script:alert(1))",
            "[click]( javascript:alert(1))",
            "[click](data:text/html,<script>alert(1)</script>)",
            "[click](vbscript:x)",
            "[click](http://example.com)",
            "[click](//evil.example/x)",
            "[click](/\\evil.example/x)",
            "[click][r]\n\n[r]: javascript:alert(1)",
            "<javascript:alert(1)>",
            "<someone@example.com>",
        ] {
            let html = to_html(md);
            assert!(!html.contains("<a"), "{md:?} gave {html}");
            assert!(html.contains("click") || html.contains("alert") || html.contains("someone"), "{md:?} gave {html}");
            assert_inert(&html);
        }
    }

    #[test]
    fn relative_and_https_links_stay() {
        assert_eq!(
            to_html("[docs](https://kafka.apache.org/documentation/)"),
            "<p><a href=\"https://kafka.apache.org/documentation/\">docs</a></p>\n"
        );
        assert_eq!(to_html("[next](?exercise=keys-2)"), "<p><a href=\"?exercise=keys-2\">next</a></p>\n");
        assert_eq!(to_html("[data](data/README.md#taxi)"), "<p><a href=\"data/README.md#taxi\">data</a></p>\n");
        assert_eq!(to_html("[top](#story)"), "<p><a href=\"#story\">top</a></p>\n");
    }

    #[test]
    fn images_become_their_alt_text() {
        let html = to_html("see ![a *chart* of lag](https://evil.example/x.png \"t\") here");
        assert_eq!(html, "<p>see a <em>chart</em> of lag here</p>\n");
        let html = to_html("![x\" onerror=\"alert(1)](x.png)");
        assert!(!html.contains("<img"), "{html}");
        assert_inert(&html);
    }

    #[test]
    fn markdown_still_works() {
        assert_eq!(
            to_html("Set `linger.ms` to **0**:\n\n- one\n- two"),
            "<p>Set <code>linger.ms</code> to <strong>0</strong>:</p>\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n"
        );
    }
}
