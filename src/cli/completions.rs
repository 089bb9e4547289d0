//! `rentsync completions SHELL` and `rentsync man`: generated from the clap definitions, so they
//! can never drift from the flags the binary really takes. Both print to standard output, for
//! packaging (`rentsync man > rentsync.1`) or a shell's completion directory.

use std::process::ExitCode;

use std::io::Write as _;

use clap::CommandFactory;

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to write the completion script for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

pub fn completions(args: CompletionsArgs) -> anyhow::Result<ExitCode> {
    let mut cmd = super::Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "rentsync", &mut std::io::stdout());
    Ok(ExitCode::SUCCESS)
}

/// The manual page (roff) of `rentsync` and every subcommand, in one page.
pub fn man() -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    write_man(&mut out)?;
    Ok(ExitCode::SUCCESS)
}

pub fn write_man(out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let cmd = super::Cli::command();
    let man = clap_mangen::Man::new(cmd.clone());
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    man.render_options_section(&mut page)?;
    // One section per subcommand, its synopsis and options as subsections: a single page is
    // easier to ship and grep than one page per subcommand.
    for sub in cmd.get_subcommands() {
        let name = format!("rentsync {}", sub.get_name());
        let sub_man = clap_mangen::Man::new(sub.clone().bin_name(name.clone()));
        let mut part = Vec::new();
        sub_man.render_synopsis_section(&mut part)?;
        sub_man.render_options_section(&mut part)?;
        sub_man.render_subcommands_section(&mut part)?;
        writeln!(page, ".SH \"{}\"", name.to_uppercase())?;
        if let Some(about) = sub.get_about() {
            writeln!(page, "{}", roff_escape(&about.to_string()))?;
        }
        let part = String::from_utf8_lossy(&part)
            .replace(".SH SYNOPSIS", ".SS Synopsis")
            .replace(".SH OPTIONS", ".SS Options")
            .replace(".SH SUBCOMMANDS", ".SS Subcommands");
        page.extend_from_slice(part.as_bytes());
    }
    man.render_version_section(&mut page)?;
    // Every render call repeats the two-line quote-string preamble; the first one is enough.
    let text = String::from_utf8_lossy(&page);
    let mut seen = std::collections::HashSet::new();
    for line in text.lines() {
        let preamble = line.starts_with(".ie \\n(.g .ds Aq") || line.starts_with(".el .ds Aq");
        if preamble && !seen.insert(line.to_string()) {
            continue;
        }
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// Plain text as a roff paragraph: a leading dot or quote would start a request, and a
/// backslash an escape.
fn roff_escape(text: &str) -> String {
    let text = text.replace('\\', "\\e");
    match text.chars().next() {
        Some('.') | Some('\'') => format!("\\&{text}"),
        _ => text,
    }
}
