//! The language of a report's labels: Chinese for operators, English for the vendors' engineers.
//! Labels are written in English in the printers and looked up here; data (room codes, platform
//! messages, source values) is never translated. JSON keeps its English keys in both languages,
//! because programs read it.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    /// The locale's language (`LC_ALL`, then `LC_MESSAGES`, then `LANG`, as POSIX orders them):
    /// Chinese for `zh_*`, English otherwise.
    pub fn from_env() -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let locale = var("LC_ALL")
            .or_else(|| var("LC_MESSAGES"))
            .or_else(|| var("LANG"));
        Self::from_locale(locale.as_deref().unwrap_or(""))
    }

    pub fn from_locale(locale: &str) -> Self {
        if locale.to_ascii_lowercase().starts_with("zh") {
            Lang::Zh
        } else {
            Lang::En
        }
    }

    /// `--lang` when given, the locale otherwise.
    pub fn or_env(given: Option<Lang>) -> Self {
        given.unwrap_or_else(Self::from_env)
    }

    /// The HTML `lang` attribute.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        }
    }

    /// The label in this language; a label missing from the table shows in English.
    pub fn t(self, en: &'static str) -> &'static str {
        match self {
            Lang::En => en,
            Lang::Zh => LABELS
                .iter()
                .find(|(e, _)| *e == en)
                .map_or(en, |(_, zh)| zh),
        }
    }

    /// A room state as `state_label` spells it (`on/vacant`), in words.
    pub fn state(self, state: &str) -> String {
        match state.split_once('/') {
            Some((shelf, rent)) => {
                let shelf = match shelf {
                    "on" => self.t("on shelf"),
                    "off" => self.t("off shelf"),
                    other => return other.to_string() + "/" + rent,
                };
                let rent = match rent {
                    "vacant" => self.t("vacant"),
                    "rented" => self.t("rented"),
                    other => return format!("{shelf}/{other}"),
                };
                format!("{shelf}, {rent}")
            }
            None if state == crate::outbox::UNCONFIRMED => self.t("unconfirmed").to_string(),
            None => state.to_string(),
        }
    }
}

/// English label → Chinese, in the words of the Alipay console where it has them.
const LABELS: &[(&str, &str)] = &[
    ("rentsync dry-run", "rentsync 预演报告"),
    ("rentsync status", "rentsync 同步状态"),
    ("Generated", "生成时间"),
    ("Version", "版本"),
    ("Tenant", "租户"),
    ("Tenants", "租户"),
    ("Family", "接口族"),
    ("Language", "语言"),
    ("rows read from the source", "行已从源数据库读取"),
    ("create", "新建"),
    ("update", "更新"),
    ("state change", "状态变更"),
    ("take off shelf", "下架"),
    ("pending (queued, not yet delivered)", "待发送（已排队，尚未送达）"),
    ("failed earlier (not resent)", "此前失败（不会重发）"),
    ("unchanged", "无变化"),
    ("invalid (never sent)", "不合规（不会发送）"),
    ("photos to process", "待处理图片"),
    ("communities to resolve", "待同步小区"),
    ("Summary", "概览"),
    ("Action", "操作"),
    ("Rooms", "房源数"),
    ("Rooms to create", "将新建的房源"),
    ("Rooms to update", "将更新的房源"),
    ("Rooms whose state changes", "将变更状态的房源"),
    ("Rooms to take off shelf", "将下架的房源"),
    ("Room", "房源编号"),
    ("Kind", "类型"),
    ("Community", "小区"),
    ("Name", "名称"),
    ("Price (yuan/month)", "租金（元/月）"),
    ("State", "状态"),
    ("Changes (old → new)", "变更（旧 → 新）"),
    ("and {n} more", "另有 {n} 条未列出"),
    ("Rule breaks, by rule", "不合规项（按规则分组）"),
    ("No listing breaks a platform rule.", "所有房源都符合平台规则。"),
    ("Field", "字段"),
    ("Rule", "规则"),
    ("Source column = value", "源字段 = 值"),
    ("Rooms affected", "涉及房源"),
    ("Platform family", "平台接口族"),
    ("Tasks that break a rule", "违反规则的任务"),
    ("Fix the source row: they are never sent as they are.", "请修正数据源中的行：这些任务在修正前不会发送。"),
    ("Source columns this family cannot carry", "该接口族无法承载的数据源列"),
    ("Column", "列"),
    ("Rows", "行数"),
    ("Why", "原因"),
    ("Fields the views do not fill", "视图未填写的字段"),
    ("Method", "接口"),
    ("Fields", "字段列表"),
    ("Add-only fields changed since the add", "新增后又变化的仅新增字段"),
    ("Tenants not planned", "无法预演的租户"),
    ("Error", "错误"),
    ("Outbox", "发件箱"),
    ("pending", "待发送"),
    ("leased", "处理中"),
    ("retry", "重试中"),
    ("done", "已完成"),
    ("failed", "失败"),
    ("invalid", "不合规"),
    ("Oldest waiting item", "最早的待处理项"),
    ("Nothing waiting.", "没有待处理项。"),
    ("seconds", "秒"),
    ("Daemon", "守护进程"),
    ("Failures, by code and message", "失败（按错误码和信息分组）"),
    ("No failures.", "没有失败。"),
    ("Status", "状态"),
    ("Code", "错误码"),
    ("Message", "信息"),
    ("Count", "数量"),
    ("First", "最早"),
    ("Last", "最近"),
    ("Photo warnings", "图片警告"),
    ("Other warnings", "其他警告"),
    ("Photo", "图片"),
    ("Location", "位置"),
    ("Preview", "预览"),
    ("As sent", "发送的图片"),
    ("Warning", "警告"),
    ("Rooms live with older values", "以旧值在架的房源"),
    ("Last accepted", "平台最近接受"),
    ("Delists held by the mass-delist guard", "被批量下架保护拦截的下架"),
    ("View", "视图"),
    ("Gone", "消失"),
    ("Live", "在架"),
    ("Since", "开始于"),
    ("Confirmed", "已确认"),
    ("yes", "是"),
    ("no", "否"),
    ("Tasks", "任务"),
    ("Dead tasks", "已放弃的任务"),
    ("Key", "键"),
    ("Attempts", "尝试次数"),
    ("SPI callbacks stored", "已保存的 SPI 回调"),
    ("Type", "类型"),
    ("on shelf", "上架"),
    ("off shelf", "下架"),
    ("vacant", "未租"),
    ("rented", "已租"),
    ("unconfirmed", "未确认"),
    ("dispersion", "分散式"),
    ("concentration", "集中式"),
    ("not used", "未使用"),
    ("quality", "质量"),
    ("not previewed (report size limit)", "未预览（报告大小限制）"),
    ("not previewed (report time limit)", "未预览（报告时间限制）"),
    ("mass delist HELD: rooms gone of live rooms", "批量下架将被拦截：消失的房源/在架房源"),
    (
        "invalid room(s) live with older values (see `rentsync status`)",
        "套不合规房源仍以旧值在架（见 `rentsync status`）",
    ),
    (
        "invalid_listings = \"off_shelf\" takes them off shelf until the source is fixed.",
        "设置 invalid_listings = \"off_shelf\" 可在源数据修正前将其下架。",
    ),
    (
        "Check the view; if the deletes are real, run `rentsync delist --confirm`.",
        "请检查视图；如确需删除，运行 `rentsync delist --confirm`。",
    ),
    (
        "After fixing the cause: `rentsync retry` (failed), `rentsync retry --invalid` (rule breaks).",
        "修正原因后：`rentsync retry`（失败项），`rentsync retry --invalid`（不合规项）。",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_locale_picks_the_language() {
        assert_eq!(Lang::from_locale("zh_CN.UTF-8"), Lang::Zh);
        assert_eq!(Lang::from_locale("zh_TW"), Lang::Zh);
        assert_eq!(Lang::from_locale("en_US.UTF-8"), Lang::En);
        assert_eq!(Lang::from_locale("C.UTF-8"), Lang::En);
        assert_eq!(Lang::from_locale(""), Lang::En);
    }

    #[test]
    fn every_label_has_one_chinese_text() {
        for (i, (en, zh)) in LABELS.iter().enumerate() {
            assert!(!zh.is_empty() && zh != en, "{en}");
            assert!(LABELS[i + 1..].iter().all(|(e, _)| e != en), "{en} twice");
        }
        assert_eq!(Lang::Zh.t("create"), "新建");
        assert_eq!(Lang::En.t("create"), "create");
        assert_eq!(Lang::Zh.state("on/vacant"), "上架, 未租");
    }
}
