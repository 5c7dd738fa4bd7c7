//! Links from the text to web pages: the images a Dockerfile names, to their pages on their
//! registries' websites.

use stagecraft_syntax::sort;
use stagecraft_syntax::{TextRange, TextSize};

use crate::model::RefTarget;
use crate::reference::split_docker_domain;
use crate::Analysis;

/// A link from a range of the text to a web page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// What is linked: the image as written (variables and all).
    pub range: TextRange,
    /// The page.
    pub url: String,
    /// What the page is, for a tooltip ("alpine:3.19 on Docker Hub").
    pub tooltip: String,
}

impl Analysis {
    /// Every external image that a `FROM`, a `--from` or a mount's `from=` names (after ARG
    /// expansion) and the `# syntax=` frontend, linked to its page on Docker Hub, Quay,
    /// Microsoft's registry or the Amazon ECR Public Gallery. Images of other registries have no
    /// page we can name, and get no link; nor does a name the analysis takes for a stage's,
    /// mistyped (`unknown-stage`: `--from=bulder` beside a stage `builder` links to no page
    /// of an image `bulder`).
    pub fn links(&self) -> Vec<Link> {
        let mut out = Vec::new();
        if let Some(d) = self.syntax_directive() {
            if let Some(range) = self.directive_value_range(d.line, &d.first_word) {
                out.extend(link(range, &d.first_word));
            }
        }
        let mut typos: Vec<TextRange> =
            self.diagnostics().iter().filter(|d| d.code == "unknown-stage").map(|d| d.range).collect();
        sort::sort_by_key(&mut typos, |r| (r.start(), r.end()));
        for r in self.references() {
            if let RefTarget::Image(image) = &r.target {
                if typos.binary_search_by_key(&(r.range.start(), r.range.end()), |t| (t.start(), t.end())).is_err() {
                    out.extend(link(r.range, image));
                }
            }
        }
        sort::sort_by_key(&mut out, |l| l.range.start());
        out
    }

    /// Where `value` is written on the directive line `line`.
    fn directive_value_range(&self, line: usize, value: &str) -> Option<TextRange> {
        let range = self.line_index().line_range(line as u32, self.text())?;
        let text = &self.text()[range];
        let at = text.find('=')? + 1;
        let start = at + text[at..].find(value)?;
        let start = range.start() + TextSize::new(start as u32);
        Some(TextRange::at(start, TextSize::of(value)))
    }
}

fn link(range: TextRange, image: &str) -> Option<Link> {
    // No page for what is no image name (`Buld`: BuildKit fails on it).
    crate::reference::parse_normalized_named(image).ok()?;
    let (url, registry) = image_page(image)?;
    Some(Link { range, url, tooltip: format!("{image} on {registry}") })
}

/// The web page of an image's repository, and the website's name.
pub fn image_page(image: &str) -> Option<(String, &'static str)> {
    let (domain, path) = repository(image);
    if path.is_empty() || path.contains(|c: char| !(c.is_ascii_alphanumeric() || "._-/".contains(c))) {
        return None;
    }
    Some(match domain.as_str() {
        "docker.io" => match path.strip_prefix("library/") {
            Some(official) if !official.contains('/') => (format!("https://hub.docker.com/_/{official}"), "Docker Hub"),
            _ => (format!("https://hub.docker.com/r/{path}"), "Docker Hub"),
        },
        "quay.io" => (format!("https://quay.io/repository/{path}"), "Quay"),
        "mcr.microsoft.com" => {
            (format!("https://mcr.microsoft.com/artifact/mar/{path}"), "Microsoft Artifact Registry")
        }
        "public.ecr.aws" => (format!("https://gallery.ecr.aws/{path}"), "the Amazon ECR Public Gallery"),
        _ => return None,
    })
}

/// The registry and the repository path of an image (`docker.io` and `library/alpine` for
/// `alpine:3.19@sha256:...`): no digest, no tag (a tag follows the last `/`; a registry's port
/// does not).
pub(crate) fn repository(image: &str) -> (String, String) {
    let name = image.split('@').next().unwrap_or(image);
    let name = match name.rfind(':') {
        Some(i) if !name[i..].contains('/') => &name[..i],
        _ => name,
    };
    split_docker_domain(name)
}

#[cfg(test)]
mod tests {
    use super::image_page;

    #[test]
    fn pages_of_images() {
        let page = |i| image_page(i).map(|(u, _)| u);
        assert_eq!(page("alpine").as_deref(), Some("https://hub.docker.com/_/alpine"));
        assert_eq!(page("alpine:3.19@sha256:abc").as_deref(), Some("https://hub.docker.com/_/alpine"));
        assert_eq!(page("docker.io/library/golang:1.22").as_deref(), Some("https://hub.docker.com/_/golang"));
        assert_eq!(page("index.docker.io/owner/app").as_deref(), Some("https://hub.docker.com/r/owner/app"));
        assert_eq!(page("docker/dockerfile:1").as_deref(), Some("https://hub.docker.com/r/docker/dockerfile"));
        assert_eq!(page("quay.io/org/repo:v1").as_deref(), Some("https://quay.io/repository/org/repo"));
        assert_eq!(
            page("mcr.microsoft.com/dotnet/sdk:8.0").as_deref(),
            Some("https://mcr.microsoft.com/artifact/mar/dotnet/sdk")
        );
        assert_eq!(
            page("public.ecr.aws/docker/library/node").as_deref(),
            Some("https://gallery.ecr.aws/docker/library/node")
        );
        // No page we can name: another registry, a port, odd characters.
        assert_eq!(page("ghcr.io/owner/img:1"), None);
        assert_eq!(page("localhost:5000/img:1"), None);
        assert_eq!(page("registry.example.com:5000/a/b"), None);
        assert_eq!(page("owner/a?b"), None);
    }
}
