//! What changed in a lease order between two polls: the lease status, the close reason, the
//! termination, each bill's status, and each settlement. The poller keeps the last [`Snapshot`]
//! per lease order in the state database and records every [`Change`] as a history row, so the
//! history survives restarts and a change is recorded once, not once per poll.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::lease::{EtcLeaseOrderDTO, SettleInfo};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BillSeen {
    pub bill_type: Option<i64>,
    pub status: Option<String>,
    pub amount_fen: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub status: Option<String>,
    pub close_reason: Option<String>,
    pub cancel_order_status: Option<i64>,
    pub bills: BTreeMap<String, BillSeen>,
    /// Settlement number → `is_settle` and amount.
    pub settlements: BTreeMap<String, (Option<String>, Option<i64>)>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// `lease`, `close_reason`, `cancel`, `bill` or `settlement`: one spelling in the database,
    /// JSON and output.
    pub subject: &'static str,
    pub subject_key: String,
    pub bill_type: Option<i64>,
    pub old_value: Option<String>,
    pub new_value: String,
    pub amount_fen: Option<i64>,
}

/// The tracked state of a lease answer and a settlement answer (query types 0 and 3).
pub fn snapshot(lease: &EtcLeaseOrderDTO, settlements: &[SettleInfo]) -> Snapshot {
    Snapshot {
        status: lease.status.as_ref().map(|s| s.to_string()),
        close_reason: lease.close_reason.as_ref().map(|s| s.to_string()),
        cancel_order_status: lease.cancel_order_status.map(|c| c.code()),
        bills: lease
            .bill_dto_list
            .iter()
            .map(|b| {
                (
                    b.bill_no.clone(),
                    BillSeen {
                        bill_type: b.bill_type.map(|t| t.code()),
                        status: b.status.as_ref().map(|s| s.to_string()),
                        amount_fen: b.amount.map(|a| a.0),
                    },
                )
            })
            .collect(),
        settlements: settlements
            .iter()
            .filter_map(|s| {
                let key = s.settle_order_no.clone()?;
                Some((
                    key,
                    (
                        s.is_settle.as_ref().map(|f| f.to_string()),
                        s.settle_amount.map(|a| a.0),
                    ),
                ))
            })
            .collect(),
    }
}

/// Every difference from `old` to `new`. Bills or settlements gone from an answer are not
/// changes: a query by phase or number returns a subset.
pub fn changes(old: &Snapshot, new: &Snapshot) -> Vec<Change> {
    let mut out = Vec::new();
    let simple = |subject: &'static str, o: Option<String>, n: Option<String>| {
        n.filter(|n| o.as_ref() != Some(n)).map(|n| Change {
            subject,
            subject_key: String::new(),
            bill_type: None,
            old_value: o,
            new_value: n,
            amount_fen: None,
        })
    };
    out.extend(simple("lease", old.status.clone(), new.status.clone()));
    out.extend(simple(
        "close_reason",
        old.close_reason.clone(),
        new.close_reason.clone(),
    ));
    out.extend(simple(
        "cancel",
        old.cancel_order_status.map(|c| c.to_string()),
        new.cancel_order_status.map(|c| c.to_string()),
    ));
    for (no, b) in &new.bills {
        let before = old.bills.get(no);
        let old_status = before.and_then(|o| o.status.clone());
        let amount_changed = before.is_some_and(|o| o.amount_fen != b.amount_fen);
        if let Some(s) = &b.status {
            if old_status.as_ref() != Some(s) || amount_changed {
                out.push(Change {
                    subject: "bill",
                    subject_key: no.clone(),
                    bill_type: b.bill_type,
                    old_value: old_status,
                    new_value: s.clone(),
                    amount_fen: b.amount_fen,
                });
            }
        }
    }
    for (no, (settled, amount)) in &new.settlements {
        let before = old.settlements.get(no);
        if before != Some(&(settled.clone(), *amount)) {
            out.push(Change {
                subject: "settlement",
                subject_key: no.clone(),
                bill_type: None,
                old_value: before.and_then(|b| b.0.clone()),
                new_value: settled.clone().unwrap_or_else(|| "-".into()),
                amount_fen: *amount,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(status: &str, bill: &str) -> Snapshot {
        let mut s = Snapshot {
            status: Some(status.into()),
            ..Snapshot::default()
        };
        s.bills.insert(
            "B1".into(),
            BillSeen {
                bill_type: Some(1),
                status: Some(bill.into()),
                amount_fen: Some(200_000),
            },
        );
        s
    }

    #[test]
    fn a_change_is_recorded_once_and_nothing_for_an_unchanged_poll() {
        let a = snap("ACHIEVEMENT", "PAYABLE");
        let b = snap("SIGN_FINISH", "SUCCEED");
        let c = changes(&a, &b);
        assert_eq!(c.len(), 2);
        assert_eq!(
            (c[0].subject, c[0].new_value.as_str()),
            ("lease", "SIGN_FINISH")
        );
        assert_eq!(c[1].old_value.as_deref(), Some("PAYABLE"));
        assert_eq!(c[1].amount_fen, Some(200_000));
        assert!(changes(&b, &b).is_empty());
        // First sight: everything is a change from nothing.
        assert_eq!(changes(&Snapshot::default(), &a).len(), 2);
    }

    #[test]
    fn a_bill_missing_from_a_later_answer_is_not_a_change() {
        let a = snap("ACHIEVEMENT", "PAYABLE");
        let mut b = a.clone();
        b.bills.clear();
        assert!(changes(&a, &b).is_empty());
    }
}
