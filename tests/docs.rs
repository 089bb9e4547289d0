//! The documentation matches the code and itself: every English operator doc that has a Chinese
//! twin has the same sections in the same order (matched by `<!-- id: ... -->` comments under
//! each heading); every key the config structs accept is in README.md and in the example config;
//! every relative link and every document named points at a file in the repository.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// One heading: level, id and title.
#[derive(Debug, Clone, PartialEq)]
struct Section {
    level: usize,
    id: String,
    title: String,
}

/// The headings outside code fences, each with the id on the line below it.
fn sections(doc: &str, text: &str) -> Result<Vec<Section>, Vec<String>> {
    let lines: Vec<&str> = text.lines().collect();
    let (mut out, mut problems) = (Vec::new(), Vec::new());
    let mut fence = false;
    for (i, line) in lines.iter().enumerate() {
        if line.trim_start().starts_with("```") {
            fence = !fence;
            continue;
        }
        if fence {
            continue;
        }
        let level = line.chars().take_while(|c| *c == '#').count();
        if level == 0 || level > 6 || !line[level..].starts_with(' ') {
            continue;
        }
        let title = line[level..].trim().to_string();
        let id = lines
            .get(i + 1)
            .and_then(|l| l.trim().strip_prefix("<!-- id:"))
            .and_then(|l| l.strip_suffix("-->"))
            .map(|l| l.trim().to_string());
        match id {
            Some(id) => out.push(Section { level, id, title }),
            None => problems.push(format!(
                "{doc} line {}: heading {title:?} has no `<!-- id: ... -->` line under it \
                 (the id pairs it with its translation)",
                i + 1
            )),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// What differs between the section structures of two twins, one line each.
fn parity(en_doc: &str, en: &str, zh_doc: &str, zh: &str) -> Vec<String> {
    let (en_s, zh_s) = match (sections(en_doc, en), sections(zh_doc, zh)) {
        (Ok(a), Ok(b)) => (a, b),
        (a, b) => {
            return a
                .err()
                .into_iter()
                .flatten()
                .chain(b.err().into_iter().flatten())
                .collect()
        }
    };
    let mut problems = Vec::new();
    for (from, from_s, to, to_s) in [
        (en_doc, &en_s, zh_doc, &zh_s),
        (zh_doc, &zh_s, en_doc, &en_s),
    ] {
        for s in from_s {
            if !to_s.iter().any(|t| t.id == s.id) {
                problems.push(format!(
                    "section {:?} ({}) is in {from} but not in {to}",
                    s.id, s.title
                ));
            }
        }
    }
    if problems.is_empty() {
        for (a, b) in en_s.iter().zip(&zh_s) {
            if a.id != b.id || a.level != b.level {
                problems.push(format!(
                    "{en_doc} has section {:?} (level {}) where {zh_doc} has {:?} (level {}): \
                     same sections, same order, same levels",
                    a.id, a.level, b.id, b.level
                ));
                break;
            }
        }
    }
    problems
}

/// The English twin of `docs/zh-CN/NAME`: `docs/NAME`, except the systemd guide, which lives
/// beside the unit file.
fn english_of(name: &str) -> String {
    match name {
        "SYSTEMD.md" => "systemd/README.md".to_string(),
        _ => format!("docs/{name}"),
    }
}

/// English doc → its Chinese twin. Every file under docs/zh-CN/ must have an English twin.
fn twins() -> Vec<(String, String)> {
    let mut pairs = vec![("README.md".to_string(), "README.zh-CN.md".to_string())];
    let dir = root().join("docs/zh-CN");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("docs/zh-CN/")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".md"))
        .collect();
    names.sort();
    for n in names {
        pairs.push((english_of(&n), format!("docs/zh-CN/{n}")));
    }
    pairs
}

#[test]
fn every_section_has_its_translation_in_the_same_place() {
    let pairs = twins();
    for must in ["docs/SOURCE_CONTRACT.md", "README.md", "systemd/README.md"] {
        assert!(
            pairs.iter().any(|(en, _)| en == must),
            "{must} has no Chinese twin"
        );
    }
    let mut problems = Vec::new();
    for (en, zh) in &pairs {
        assert!(root().join(en).exists(), "{zh} has no English twin {en}");
        problems.extend(parity(en, &read(en), zh, &read(zh)));
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn the_parity_check_names_a_missing_section() {
    let en = "# A\n<!-- id: a -->\n## Keys\n<!-- id: keys -->\n```\n# not a heading\n```\n";
    let zh = "# 甲\n<!-- id: a -->\n";
    let p = parity("en.md", en, "zh.md", zh);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].contains("\"keys\"") && p[0].contains("not in zh.md"),
        "{p:?}"
    );
    let moved = parity(
        "en.md",
        "# A\n<!-- id: a -->\n## B\n<!-- id: b -->\n",
        "zh.md",
        "# A\n<!-- id: a -->\n### B\n<!-- id: b -->\n",
    );
    assert_eq!(moved.len(), 1, "{moved:?}");
    let no_id = parity("en.md", "# A\n", "zh.md", "# A\n<!-- id: a -->\n");
    assert!(no_id[0].contains("has no `<!-- id"), "{no_id:?}");
}

// ---- every config key, listed from the serde definitions themselves ----

/// A deserializer that feeds every struct the names of its own fields, with empty values, and
/// records their dotted paths: the list of keys comes from the code, so a key added to a config
/// struct without documentation fails here.
struct Tracer<'a> {
    path: String,
    keys: &'a RefCell<BTreeSet<String>>,
    tables: &'a RefCell<BTreeSet<String>>,
}

type DeError = serde::de::value::Error;

impl<'a> Tracer<'a> {
    fn at(&self, field: &str) -> Tracer<'a> {
        let path = if self.path.is_empty() {
            field.to_string()
        } else {
            format!("{}.{field}", self.path)
        };
        Tracer {
            path,
            keys: self.keys,
            tables: self.tables,
        }
    }
}

struct Fields<'a> {
    tracer: Tracer<'a>,
    fields: &'static [&'static str],
    next: usize,
}

impl<'de> serde::de::MapAccess<'de> for Fields<'_> {
    type Error = DeError;
    fn next_key_seed<K: serde::de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some(f) = self.fields.get(self.next) else {
            return Ok(None);
        };
        seed.deserialize(serde::de::value::StrDeserializer::<DeError>::new(f))
            .map(Some)
    }
    fn next_value_seed<V: serde::de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, DeError> {
        let f = self.fields[self.next];
        self.next += 1;
        seed.deserialize(self.tracer.at(f))
    }
}

/// A list holding one element, so the element type (`[[tenant]]`) is traced too.
struct One<'a>(Option<Tracer<'a>>);

impl<'de> serde::de::SeqAccess<'de> for One<'_> {
    type Error = DeError;
    fn next_element_seed<T: serde::de::DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        match self.0.take() {
            Some(t) => seed.deserialize(t).map(Some),
            None => Ok(None),
        }
    }
}

impl<'de> serde::Deserializer<'de> for Tracer<'_> {
    type Error = DeError;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, DeError> {
        Err(serde::de::Error::custom(format!(
            "{}: a self-describing value; the tracer cannot guess its type",
            self.path
        )))
    }
    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.tables.borrow_mut().insert(self.path.clone());
        for f in fields {
            self.keys.borrow_mut().insert(self.at(f).path);
        }
        visitor.visit_map(Fields {
            tracer: self,
            fields,
            next: 0,
        })
    }
    fn deserialize_option<V: serde::de::Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        v.visit_some(self)
    }
    fn deserialize_seq<V: serde::de::Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        v.visit_seq(One(Some(self)))
    }
    fn deserialize_map<V: serde::de::Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        // Free-form keys (method names, division names): the key itself is what is documented.
        v.visit_map(serde::de::value::MapDeserializer::<
            std::iter::Empty<(String, String)>,
            DeError,
        >::new(std::iter::empty()))
    }
    fn deserialize_enum<V: serde::de::Visitor<'de>>(
        self,
        _: &'static str,
        variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, DeError> {
        v.visit_enum(serde::de::value::StrDeserializer::<DeError>::new(
            variants[0],
        ))
    }
    fn deserialize_bool<V: serde::de::Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        v.visit_bool(false)
    }
    fn deserialize_str<V: serde::de::Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        v.visit_str("")
    }
    fn deserialize_string<V: serde::de::Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        v.visit_str("")
    }
    fn deserialize_f64<V: serde::de::Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        v.visit_f64(1.0)
    }
    fn deserialize_f32<V: serde::de::Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        v.visit_f64(1.0)
    }
    fn deserialize_newtype_struct<V: serde::de::Visitor<'de>>(
        self,
        _: &'static str,
        v: V,
    ) -> Result<V::Value, DeError> {
        v.visit_newtype_struct(self)
    }
    fn deserialize_ignored_any<V: serde::de::Visitor<'de>>(
        self,
        v: V,
    ) -> Result<V::Value, DeError> {
        v.visit_unit()
    }
    fn deserialize_unit<V: serde::de::Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        v.visit_unit()
    }
    fn deserialize_u8<V: serde::de::Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        v.visit_u64(1)
    }
    fn deserialize_u16<V: serde::de::Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        v.visit_u64(1)
    }
    fn deserialize_u32<V: serde::de::Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        v.visit_u64(1)
    }
    fn deserialize_u64<V: serde::de::Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        v.visit_u64(1)
    }
    fn deserialize_i8<V: serde::de::Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        v.visit_i64(1)
    }
    fn deserialize_i16<V: serde::de::Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        v.visit_i64(1)
    }
    fn deserialize_i32<V: serde::de::Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        v.visit_i64(1)
    }
    fn deserialize_i64<V: serde::de::Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        v.visit_i64(1)
    }

    serde::forward_to_deserialize_any! {
        i128 u128 char bytes byte_buf unit_struct tuple tuple_struct identifier
    }
}

/// Every leaf key of the config (tables themselves left out), as dotted paths
/// (`tenant.rates.qps`), from the structs' own serde definitions.
fn config_keys() -> BTreeSet<String> {
    use serde::Deserialize as _;
    let keys = RefCell::new(BTreeSet::new());
    let tables = RefCell::new(BTreeSet::new());
    rentsync::config::Config::deserialize(Tracer {
        path: String::new(),
        keys: &keys,
        tables: &tables,
    })
    .expect("trace the config structs");
    let tables = tables.into_inner();
    keys.into_inner()
        .into_iter()
        .filter(|k| !tables.contains(k))
        .collect()
}

#[test]
fn the_tracer_lists_nested_keys_from_the_structs() {
    let keys = config_keys();
    for k in [
        "state_database",
        "source.batch",
        "worker.photo_jobs",
        "ops.listen",
        "tenant.family",
        "tenant.connect_timeout_secs",
        "tenant.max_photo_bytes",
        "tenant.photo_long_edge",
        "tenant.rates.method_qps",
        "tenant.housing.division_codes",
        "tenant.tmall.rates.qps",
    ] {
        assert!(keys.contains(k), "{k} not traced: {keys:?}");
    }
    assert!(!keys.contains("tenant.rates"), "tables are not leaf keys");
}

#[test]
fn every_config_key_is_in_the_readmes_reference() {
    let keys = config_keys();
    for doc in ["README.md", "README.zh-CN.md"] {
        let text = read(doc);
        let missing: Vec<&String> = keys
            .iter()
            .filter(|k| !text.contains(&format!("| `{k}` |")))
            .collect();
        assert!(
            missing.is_empty(),
            "{doc} (\"Every configuration key\" table) lacks: {missing:?}"
        );
    }
}

/// The example with its optional keys (`# key = value`, `# [table]`) uncommented, as a TOML tree.
fn example_with_optional_keys() -> toml::Value {
    let text = read("config/rentsync.example.toml");
    let optional = regex_lite_optional();
    let uncommented: String = text
        .lines()
        .map(|l| match l.strip_prefix("# ") {
            Some(rest) if optional(rest) => format!("{rest}\n"),
            _ => format!("{l}\n"),
        })
        .collect();
    toml::from_str(&uncommented).unwrap_or_else(|e: toml::de::Error| {
        panic!(
            "the example, optional keys uncommented, is not TOML: {}",
            e.message()
        )
    })
}

/// `key = ...`, `"quoted key" = ...` or `[table]`: a commented-out setting, not prose.
fn regex_lite_optional() -> impl Fn(&str) -> bool {
    |rest: &str| {
        if rest.starts_with('[') {
            return true;
        }
        let Some((key, _)) = rest.split_once(" = ") else {
            return false;
        };
        let key = key.trim();
        !key.is_empty()
            && (key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                || (key.starts_with('"') && key.ends_with('"')))
    }
}

#[test]
fn every_config_key_is_in_the_example_config() {
    let example = example_with_optional_keys();
    let mut missing = Vec::new();
    for key in config_keys() {
        let mut at = Some(&example);
        for part in key.split('.') {
            at = at.and_then(|v| match v {
                toml::Value::Array(a) => a.first().and_then(|t| t.get(part)),
                v => v.get(part),
            });
        }
        if at.is_none() {
            missing.push(key);
        }
    }
    assert!(
        missing.is_empty(),
        "config/rentsync.example.toml lacks (set or as `# key = value`): {missing:?}"
    );
    // And it still parses as a config without its optional keys.
    rentsync::config::Config::parse(&read("config/rentsync.example.toml"), Path::new("/"))
        .expect("the example config parses");
}

// ---- links and named documents ----

/// The operator and developer docs that ship with the repository.
fn docs() -> Vec<String> {
    let mut out = vec![
        "README.md".to_string(),
        "README.zh-CN.md".to_string(),
        "systemd/README.md".to_string(),
    ];
    for dir in ["docs", "docs/zh-CN"] {
        let mut names: Vec<String> = std::fs::read_dir(root().join(dir))
            .expect(dir)
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".md"))
            .map(|n| format!("{dir}/{n}"))
            .collect();
        names.sort();
        out.extend(names);
    }
    out
}

/// Relative link targets (`](path)`, anchors and URLs left out) and file names ending in `.md`
/// or `.toml` mentioned anywhere in the text.
fn references(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("](") {
        rest = &rest[i + 2..];
        let target: String = rest.chars().take_while(|c| *c != ')').collect();
        let target = target.split('#').next().unwrap_or("").trim().to_string();
        if !target.is_empty() && !target.contains("://") && !target.starts_with("mailto:") {
            out.push(target);
        }
    }
    for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || "._-/".contains(c))) {
        let word = word.trim_end_matches('.');
        if (word.ends_with(".md") || word.ends_with(".toml"))
            && word.contains('/')
            && !word.starts_with('/')
        {
            out.push(word.to_string());
        }
    }
    out
}

/// `base/rel` resolved lexically inside the repository, or `None` when it climbs out of it (a
/// document outside the repository is not shipped, even if this machine happens to have it).
fn inside_repo(base: &Path, rel: &str) -> Option<PathBuf> {
    let mut parts: Vec<String> = base
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    for part in rel.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p.to_string()),
        }
    }
    Some(parts.iter().collect())
}

#[test]
fn every_relative_link_and_named_document_exists() {
    let mut broken = Vec::new();
    for doc in docs() {
        let text = read(&doc);
        let dir = Path::new(&doc)
            .parent()
            .unwrap_or(Path::new(""))
            .to_path_buf();
        for r in references(&text) {
            let found = [inside_repo(&dir, &r), inside_repo(Path::new(""), &r)]
                .into_iter()
                .flatten()
                .any(|p| root().join(p).exists());
            if !found {
                broken.push(format!("{doc}: {r}"));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "references to files not in the repository:\n{}",
        broken.join("\n")
    );
}

#[test]
fn the_reference_finder_sees_links_and_named_documents() {
    let r = references("see [the contract](docs/SOURCE_CONTRACT.md#x), `../shared/spec/tmall-top.md` and https://a.b/c.md");
    assert!(r.contains(&"docs/SOURCE_CONTRACT.md".to_string()), "{r:?}");
    assert!(
        r.contains(&"../shared/spec/tmall-top.md".to_string()),
        "{r:?}"
    );
    assert!(!r.iter().any(|x| x.contains("a.b")), "{r:?}");
    assert_eq!(
        inside_repo(Path::new("docs"), "../../shared/spec/x.md"),
        None
    );
    assert_eq!(
        inside_repo(Path::new("docs/zh-CN"), "../SOURCE_CONTRACT.md"),
        Some(PathBuf::from("docs/SOURCE_CONTRACT.md"))
    );
}

#[test]
fn the_platform_public_key_file_has_one_name() {
    // `rentsync keygen` writes platform_public_key.pem; the config key is
    // platform_public_key_file. The SDKs' "alipay_public_key" must not name our file.
    let mut files = docs();
    files.push("config/rentsync.example.toml".into());
    files.push("systemd/rentsync.service".into());
    for f in files {
        let text = read(&f);
        assert!(
            !text.contains("alipay_public_key"),
            "{f} names the platform public key file alipay_public_key; use platform_public_key"
        );
    }
}
