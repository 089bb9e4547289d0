//! `/metrics` in the Prometheus text format, written by hand: a dozen families do not need a
//! registry. Names follow `rentsync_<name>_<unit>[_total]`; labels are bounded (tenant, kind,
//! status, method, outcome label), never a room code.

use std::fmt::Write;

use crate::cli::Runtime;
use crate::source::VIEWS;
use crate::worker::LATENCY_BUCKETS;

fn esc(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

pub async fn render(rt: &Runtime, ready: bool) -> String {
    let mut out = String::new();
    let family = |out: &mut String, name: &str, kind: &str, help: &str| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    };

    family(
        &mut out,
        "rentsync_ready",
        "gauge",
        "1 when every tenant can work.",
    );
    let _ = writeln!(out, "rentsync_ready {}", ready as u8);

    family(
        &mut out,
        "rentsync_items",
        "gauge",
        "Outbox items by tenant, kind and status.",
    );
    if let Ok(rows) = rt.outbox.counts_by_kind().await {
        for (tenant, kind, status, n) in rows {
            let _ = writeln!(
                out,
                "rentsync_items{{tenant=\"{}\",kind=\"{}\",status=\"{}\"}} {n}",
                esc(&tenant),
                esc(&kind),
                esc(&status)
            );
        }
    }
    family(
        &mut out,
        "rentsync_tasks",
        "gauge",
        "Tasks (deliveries, lease, bill and booking-feedback syncs) by tenant, kind and status.",
    );
    if let Ok(rows) = rt.outbox.task_counts().await {
        for c in rows {
            let _ = writeln!(
                out,
                "rentsync_tasks{{tenant=\"{}\",kind=\"{}\",status=\"{}\"}} {}",
                esc(&c.tenant),
                esc(&c.kind),
                esc(&c.status),
                c.count
            );
        }
    }
    family(
        &mut out,
        "rentsync_items_live_with_older_values",
        "gauge",
        "Invalid rooms the platform may still show at the values it last accepted.",
    );
    if let Ok(rows) = rt.outbox.live_with_older_values().await {
        for (tenant, n) in rows {
            let _ = writeln!(
                out,
                "rentsync_items_live_with_older_values{{tenant=\"{}\"}} {n}",
                esc(&tenant)
            );
        }
    }
    family(
        &mut out,
        "rentsync_delists_held",
        "gauge",
        "Rooms the mass-delist guard keeps on shelf until `rentsync delist --confirm`.",
    );
    if let Ok(holds) = rt.outbox.delist_holds().await {
        for h in holds {
            let _ = writeln!(
                out,
                "rentsync_delists_held{{tenant=\"{}\",view=\"{}\"}} {}",
                esc(&h.tenant),
                esc(&h.view),
                h.gone
            );
        }
    }
    family(
        &mut out,
        "rentsync_oldest_pending_seconds",
        "gauge",
        "Age of the oldest item waiting to be worked on.",
    );
    let oldest = rt
        .outbox
        .oldest_pending_secs()
        .await
        .ok()
        .flatten()
        .unwrap_or(0);
    let _ = writeln!(out, "rentsync_oldest_pending_seconds {oldest}");

    family(
        &mut out,
        "rentsync_source_lag_seconds",
        "gauge",
        "Source clock minus the change feed's watermark, per view.",
    );
    for t in &rt.tenants {
        let Some(source) = &t.source else { continue };
        // A source known to be down would hold the scrape for the pool's whole timeout.
        if t.health.has(crate::worker::Part::Source) {
            continue;
        }
        let Ok(now) = source.db.now_us().await else {
            continue;
        };
        for v in VIEWS {
            if let Ok(w) = rt.outbox.watermark(&t.name, v.name).await {
                if w > 0 {
                    let _ = writeln!(
                        out,
                        "rentsync_source_lag_seconds{{tenant=\"{}\",view=\"{}\"}} {:.3}",
                        esc(&t.name),
                        v.name,
                        (now - w) as f64 / 1e6
                    );
                }
            }
        }
    }

    let all: Vec<_> = rt
        .tenants
        .iter()
        .map(|t| (t.name.clone(), t.metrics.all(), t.paused()))
        .collect();
    family(
        &mut out,
        "rentsync_platform_calls_total",
        "counter",
        "Platform calls by method and outcome.",
    );
    for (tenant, m, _) in &all {
        for ((method, outcome), (n, _)) in &m.calls {
            let _ = writeln!(
                out,
                "rentsync_platform_calls_total{{tenant=\"{}\",method=\"{}\",outcome=\"{}\"}} {n}",
                esc(tenant),
                esc(method),
                esc(outcome)
            );
        }
    }
    family(
        &mut out,
        "rentsync_platform_call_duration_seconds",
        "histogram",
        "Platform call latency by method.",
    );
    for (tenant, m, _) in &all {
        for (method, h) in &m.latency {
            let labels = format!("tenant=\"{}\",method=\"{}\"", esc(tenant), esc(method));
            let mut cumulative = 0;
            for (i, bound) in LATENCY_BUCKETS.iter().enumerate() {
                cumulative += h.buckets[i];
                let _ = writeln!(out, "rentsync_platform_call_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}");
            }
            let _ = writeln!(
                out,
                "rentsync_platform_call_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "rentsync_platform_call_duration_seconds_sum{{{labels}}} {:.6}",
                h.sum_secs
            );
            let _ = writeln!(
                out,
                "rentsync_platform_call_duration_seconds_count{{{labels}}} {}",
                h.count
            );
        }
    }
    family(
        &mut out,
        "rentsync_throttled_seconds_total",
        "counter",
        "Seconds methods were paused after the platform throttled.",
    );
    for (tenant, m, _) in &all {
        let _ = writeln!(
            out,
            "rentsync_throttled_seconds_total{{tenant=\"{}\"}} {:.3}",
            esc(tenant),
            m.throttled.as_secs_f64()
        );
    }
    family(
        &mut out,
        "rentsync_photo_bytes_total",
        "counter",
        "Photo bytes read from the source (in) and uploaded (out).",
    );
    for (tenant, m, _) in &all {
        let _ = writeln!(
            out,
            "rentsync_photo_bytes_total{{tenant=\"{}\",direction=\"in\"}} {}",
            esc(tenant),
            m.photo_bytes_in
        );
        let _ = writeln!(
            out,
            "rentsync_photo_bytes_total{{tenant=\"{}\",direction=\"out\"}} {}",
            esc(tenant),
            m.photo_bytes_out
        );
    }
    family(
        &mut out,
        "rentsync_photos_total",
        "counter",
        "Photos by outcome: processed, cached (already uploaded), or why one could not be used.",
    );
    for (tenant, m, _) in &all {
        for (outcome, n) in &m.photos {
            let _ = writeln!(
                out,
                "rentsync_photos_total{{tenant=\"{}\",outcome=\"{outcome}\"}} {n}",
                esc(tenant)
            );
        }
    }
    family(
        &mut out,
        "rentsync_photo_encodes_total",
        "counter",
        "JPEG encodes spent fitting photos into the byte budget.",
    );
    for (tenant, m, _) in &all {
        let _ = writeln!(
            out,
            "rentsync_photo_encodes_total{{tenant=\"{}\"}} {}",
            esc(tenant),
            m.photo_encodes
        );
    }
    family(
        &mut out,
        "rentsync_tenant_paused",
        "gauge",
        "1 while a tenant is paused (credentials refused).",
    );
    for (tenant, _, paused) in &all {
        let _ = writeln!(
            out,
            "rentsync_tenant_paused{{tenant=\"{}\"}} {}",
            esc(tenant),
            *paused as u8
        );
    }
    family(
        &mut out,
        "rentsync_tenant_up",
        "gauge",
        "1 while a tenant works: keys loaded, source read, not paused; /readyz says why not.",
    );
    for t in &rt.tenants {
        let up = t.health.is_up() && !t.paused();
        let _ = writeln!(
            out,
            "rentsync_tenant_up{{tenant=\"{}\"}} {}",
            esc(&t.name),
            up as u8
        );
    }
    for d in &rt.down {
        let _ = writeln!(out, "rentsync_tenant_up{{tenant=\"{}\"}} 0", esc(&d.name));
    }
    out
}
