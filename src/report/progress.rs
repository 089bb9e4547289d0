//! Progress for long commands: a bar on a terminal (indicatif), a plain line every few seconds
//! otherwise (logs and CI keep readable records). `--quiet` turns both off. The last line always
//! shows where the work ended: `N/N (100 %)` when everything counted was done.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

pub struct Progress {
    what: &'static str,
    bar: Option<ProgressBar>,
    done: u64,
    total: Option<u64>,
    last_line: Instant,
}

const LINE_EVERY: Duration = Duration::from_secs(5);

/// Set once by `main` from `--quiet`; a process-wide switch because progress is drawn deep inside
/// long commands that otherwise know nothing about output settings.
static QUIET: AtomicBool = AtomicBool::new(false);

pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// True under `--quiet`: informational lines on stderr are left out too.
pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// The plain progress line: `what: done/total (pct %)`, or `what: done` without a total.
pub fn line(what: &str, done: u64, total: Option<u64>) -> String {
    match total {
        Some(t) => {
            // Nothing to do is all of it done.
            let pct = (done.min(t) * 100).checked_div(t).unwrap_or(100);
            format!("{what}: {done}/{t} ({pct} %)")
        }
        None => format!("{what}: {done}"),
    }
}

impl Progress {
    /// `total` when known (rows or items); a spinner with a count otherwise.
    pub fn new(what: &'static str, total: Option<u64>) -> Self {
        let bar = (std::io::stderr().is_terminal() && !quiet()).then(|| {
            let bar = match total {
                Some(t) => ProgressBar::new(t),
                None => ProgressBar::new_spinner(),
            };
            let template = if total.is_some() {
                "{msg} [{bar:40}] {pos}/{len} {percent} % ({per_sec}, eta {eta})"
            } else {
                "{msg} {spinner} {pos} ({per_sec})"
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message(what);
            bar
        });
        Self {
            what,
            bar,
            done: 0,
            total,
            last_line: Instant::now(),
        }
    }

    pub fn set_total(&mut self, total: u64) {
        self.total = Some(total);
        if let Some(b) = &self.bar {
            b.set_length(total);
        }
    }

    pub fn inc(&mut self, n: u64) {
        self.done += n;
        match &self.bar {
            Some(b) => b.inc(n),
            None if self.last_line.elapsed() >= LINE_EVERY && !quiet() => {
                self.last_line = Instant::now();
                eprintln!("{}", line(self.what, self.done, self.total));
            }
            None => {}
        }
    }

    /// The work is over: the count as it ended, left on screen (a bar that vanished, or stopped
    /// at 97 % because the last items finished between two ticks, reads as a failure).
    pub fn finish(self) {
        match self.bar {
            Some(b) => {
                b.set_position(self.done);
                b.finish();
            }
            None if !quiet() => eprintln!("{}", line(self.what, self.done, self.total)),
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::line;

    #[test]
    fn the_last_line_reads_one_hundred_percent_when_all_is_done() {
        assert_eq!(
            line("resync: rooms worked", 300, Some(300)),
            "resync: rooms worked: 300/300 (100 %)"
        );
        assert_eq!(line("x", 1, Some(3)), "x: 1/3 (33 %)");
        assert_eq!(line("x", 0, Some(0)), "x: 0/0 (100 %)");
        assert_eq!(line("x", 7, None), "x: 7");
    }
}
