//! The progress bar `probe` and `assess` show on a terminal: it polls the
//! run's [`Progress`] and names the phase in the user's language.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use jcstar_criteria::Lang;
use jcstar_probe::Progress;
use jcstar_probe::assess_text::phase_text;

/// Starts the bar; it clears itself once `p.cancel` is set.
pub fn spawn(p: Arc<Progress>, lang: Lang) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{msg:>20} [{bar:40}] {pos}/{len} {elapsed}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        loop {
            bar.set_message(phase_text(&p.phase(), lang));
            bar.set_length(p.total.load(Ordering::Relaxed));
            bar.set_position(p.done.load(Ordering::Relaxed));
            tokio::time::sleep(Duration::from_millis(80)).await;
            if p.cancel.load(Ordering::Relaxed) {
                bar.finish_and_clear();
                break;
            }
        }
    })
}
