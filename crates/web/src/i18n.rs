//! Fluent translations. Vietnamese is the default; English is one click away. The files are
//! compiled in, so a deployment can never miss one, and a test checks both have the same keys.

use std::collections::HashMap;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};

pub use minhbach_app::Lang;

pub const SOURCES: [(Lang, &str); 2] = [
    (Lang::Vi, include_str!("../../../locales/vi/main.ftl")),
    (Lang::En, include_str!("../../../locales/en/main.ftl")),
];

pub struct I18n {
    bundles: HashMap<Lang, FluentBundle<FluentResource>>,
}

impl I18n {
    /// Parses the compiled-in files. A syntax error is a build defect, reported at start-up.
    pub fn load() -> Result<Self, String> {
        let mut bundles = HashMap::new();
        for (lang, source) in SOURCES {
            let resource = FluentResource::try_new(source.to_owned())
                .map_err(|(_, e)| format!("{}: {e:?}", lang.code()))?;
            let id = lang.code().parse().map_err(|e| format!("{e:?}"))?;
            let mut bundle = FluentBundle::new_concurrent(vec![id]);
            // No Unicode isolation marks around arguments: they would show up in plain-text
            // contexts such as titles.
            bundle.set_use_isolating(false);
            bundle
                .add_resource(resource)
                .map_err(|e| format!("{}: {e:?}", lang.code()))?;
            bundles.insert(lang, bundle);
        }
        Ok(I18n { bundles })
    }

    pub fn text(&self, lang: Lang, key: &str, args: Option<&FluentArgs>) -> String {
        let Some(bundle) = self.bundles.get(&lang) else {
            return key.to_owned();
        };
        let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
            tracing::warn!(key, lang = lang.code(), "missing translation");
            return key.to_owned();
        };
        let mut errors = Vec::new();
        bundle
            .format_pattern(pattern, args, &mut errors)
            .into_owned()
    }

    /// Every message id in one language's file.
    pub fn keys(source: &str) -> Vec<String> {
        let mut keys: Vec<String> = source
            .lines()
            .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
            .filter_map(|l| l.split_once(" =").map(|(k, _)| k.trim().to_owned()))
            .collect();
        keys.sort();
        keys
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_the_same_keys() {
        let vi = I18n::keys(SOURCES[0].1);
        let en = I18n::keys(SOURCES[1].1);
        assert!(vi.len() > 50, "suspiciously few keys: {}", vi.len());
        let only_vi: Vec<_> = vi.iter().filter(|k| !en.contains(k)).collect();
        let only_en: Vec<_> = en.iter().filter(|k| !vi.contains(k)).collect();
        assert!(
            only_vi.is_empty() && only_en.is_empty(),
            "vi only: {only_vi:?}; en only: {only_en:?}"
        );
    }

    #[test]
    fn every_key_renders_without_error_in_both_languages() {
        let i18n = I18n::load().unwrap();
        for (lang, source) in SOURCES {
            for key in I18n::keys(source) {
                let text = i18n.text(lang, &key, None);
                assert!(!text.is_empty() && text != key, "{} {key}", lang.code());
            }
        }
    }

    /// Keys built from domain codes (states, tracks, decisions, fields, choices) exist too.
    #[test]
    fn every_domain_code_has_its_texts() {
        use minhbach_domain::workflow::{Complexity, Finding, Outcome};
        use minhbach_domain::{CaseState, Track, TransitionKind};
        let vi = I18n::keys(SOURCES[0].1);
        let mut wanted: Vec<String> = Vec::new();
        for s in CaseState::ALL {
            wanted.push(s.label_key());
            wanted.push(s.reporter_text_key());
        }
        for t in Track::ALL {
            wanted.push(t.label_key());
        }
        for k in TransitionKind::ALL {
            wanted.push(format!("transition-{}", k.code().replace('_', "-")));
            for f in k.fields() {
                wanted.push(format!("field-{}", f.code()));
            }
        }
        let choices = Complexity::ALL
            .iter()
            .map(|c| format!("complexity-{}", c.code()))
            .chain(Finding::ALL.iter().map(|c| format!("finding-{}", c.code())))
            .chain(Outcome::ALL.iter().map(|c| format!("outcome-{}", c.code())));
        wanted.extend(choices.map(|k| k.replace('_', "-")));
        let missing: Vec<_> = wanted.iter().filter(|k| !vi.contains(k)).collect();
        assert!(missing.is_empty(), "untranslated: {missing:?}");
    }

    #[test]
    fn every_key_used_in_code_or_templates_exists() {
        let vi = I18n::keys(SOURCES[0].1);
        let mut used = Vec::new();
        let dirs = [
            concat!(env!("CARGO_MANIFEST_DIR"), "/templates"),
            concat!(env!("CARGO_MANIFEST_DIR"), "/src"),
        ];
        let mut todo: Vec<std::path::PathBuf> = dirs.iter().map(Into::into).collect();
        while let Some(dir) = todo.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    todo.push(path);
                    continue;
                }
                let text = std::fs::read_to_string(path).unwrap();
                for part in text.split("t.get(\"").skip(1) {
                    if let Some((key, _)) = part.split_once('"') {
                        used.push(key.to_owned());
                    }
                }
            }
        }
        assert!(!used.is_empty());
        let missing: Vec<_> = used.iter().filter(|k| !vi.contains(k)).collect();
        assert!(
            missing.is_empty(),
            "keys used but not translated: {missing:?}"
        );
    }
}
