//! Repeat detection (重复信访识别): earlier petitions by the same person (keyed blind index of
//! identity number or phone, any petitioner or representative) or with similar content in the same
//! field against the same respondent (Jaccard similarity of character-bigram tokens, see
//! [`super::text`]), compared only within that scope.
//!
//! Score: content similarity in 0–1; a petition by the same person scores `0.5 + 0.5 × content`,
//! so it ranks above content-only matches.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A candidate earlier petition (重复信访候选).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Candidate {
    pub petition_id: Uuid,
    pub case_number: String,
    pub score: f32,
    /// `same_id_number`, `same_phone`, `similar_content`
    pub reasons: Vec<String>,
    /// Content similarity (Jaccard of bigram tokens, same field and respondent).
    pub content_similarity: f32,
    pub status: String,
    pub received_on: NaiveDate,
    pub registered_at: DateTime<Utc>,
    /// Set when administrative review concluded the case (no longer accepted, art 36).
    pub finalized_on: Option<NaiveDate>,
}

/// An earlier petition the lookup found, before scoring.
#[derive(Debug, Clone)]
pub struct Match {
    pub petition_id: Uuid,
    pub case_number: String,
    pub status: String,
    pub received_on: NaiveDate,
    pub registered_at: DateTime<Utc>,
    pub finalized_on: Option<NaiveDate>,
    pub same_id_number: bool,
    pub same_phone: bool,
    /// Content similarity (0 outside the probe's scope).
    pub similarity: f32,
}

impl Match {
    /// The candidate this match makes, or `None` when it is neither the same person nor similar
    /// enough (`min_score`).
    pub fn into_candidate(self, min_score: f32) -> Option<Candidate> {
        let mut reasons = Vec::new();
        if self.same_id_number {
            reasons.push("same_id_number".to_string());
        }
        if self.same_phone {
            reasons.push("same_phone".to_string());
        }
        if self.similarity >= min_score {
            reasons.push("similar_content".to_string());
        }
        if reasons.is_empty() {
            return None;
        }
        let score = if self.same_id_number || self.same_phone {
            0.5 + 0.5 * self.similarity
        } else {
            self.similarity
        };
        Some(Candidate {
            petition_id: self.petition_id,
            case_number: self.case_number,
            score: (score * 1000.0).round() / 1000.0,
            reasons,
            content_similarity: (self.similarity * 1000.0).round() / 1000.0,
            status: self.status,
            received_on: self.received_on,
            registered_at: self.registered_at,
            finalized_on: self.finalized_on,
        })
    }
}

/// Score the matches and keep the best `limit` candidates, best first (newer first on a tie).
pub fn rank(matches: Vec<Match>, min_score: f32, limit: i64) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = matches
        .into_iter()
        .filter_map(|m| m.into_candidate(min_score))
        .collect();
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(b.registered_at.cmp(&a.registered_at))
    });
    out.truncate(limit.max(1) as usize);
    out
}

/// The token counts a petition must have to reach Jaccard similarity `min` with a probe of `n`
/// tokens: |A ∩ B| ≤ min(|A|, |B|) and |A ∪ B| ≥ max(|A|, |B|), so `min·n ≤ |B| ≤ n / min`.
pub fn token_count_bounds(n: usize, min: f32) -> (i32, i32) {
    if n == 0 {
        return (1, 0);
    }
    if min <= 0.0 {
        return (0, i32::MAX);
    }
    let n = n as f64;
    // Slightly wide: the threshold is an f32, and the similarity is filtered exactly afterwards.
    let min = f64::from(min);
    let lo = (min * n - 1e-3).ceil().max(0.0);
    let hi = (n / min + 1e-3).floor().min(f64::from(i32::MAX));
    (lo as i32, hi as i32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::text::jaccard;

    #[test]
    fn token_count_bounds_keep_every_petition_that_can_reach_the_threshold() {
        assert_eq!(token_count_bounds(10, 0.3), (3, 33));
        assert_eq!(token_count_bounds(0, 0.3), (1, 0));
        assert_eq!(token_count_bounds(7, 0.0), (0, i32::MAX));
        // Exhaustive check on small sets: whenever Jaccard ≥ min, the count is within bounds.
        for n in 1..30usize {
            let a: Vec<i32> = (0..n as i32).collect();
            for m in 1..120usize {
                for shared in 0..=n.min(m) {
                    let b: Vec<i32> = (0..shared as i32)
                        .chain(1000..1000 + (m - shared) as i32)
                        .collect();
                    let mut b = b;
                    b.sort_unstable();
                    let (lo, hi) = token_count_bounds(n, 0.3);
                    if jaccard(&a, &b) >= 0.3 {
                        assert!(
                            lo <= m as i32 && m as i32 <= hi,
                            "n={n} m={m} shared={shared}"
                        );
                    }
                }
            }
        }
    }

    fn found(same_person: bool, similarity: f32, minutes: i64) -> Match {
        Match {
            petition_id: Uuid::now_v7(),
            case_number: "140423-2025-000001".into(),
            status: "registered".into(),
            received_on: NaiveDate::from_ymd_opt(2025, 9, 1).unwrap(),
            registered_at: DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::minutes(minutes),
            finalized_on: None,
            same_id_number: same_person,
            same_phone: false,
            similarity,
        }
    }

    #[test]
    fn the_same_person_ranks_above_the_same_content_alone() {
        let ranked = rank(
            vec![
                found(false, 0.4, 1),
                found(true, 0.4, 2),
                found(false, 0.1, 3),
            ],
            0.3,
            10,
        );
        assert_eq!(
            ranked.len(),
            2,
            "not similar and not the same person: dropped"
        );
        assert_eq!(ranked[0].reasons, vec!["same_id_number", "similar_content"]);
        assert_eq!(ranked[0].score, 0.7);
        assert_eq!(ranked[1].reasons, vec!["similar_content"]);
        assert_eq!(ranked[1].score, 0.4);
        assert_eq!(
            rank(vec![found(true, 0.0, 1), found(true, 0.0, 2)], 0.3, 1).len(),
            1
        );
    }
}
