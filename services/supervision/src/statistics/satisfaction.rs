//! Satisfaction ratings (满意度评价) from notification's self-service
//! (`notification.satisfaction.rated.v1`): the case's facts take the rating once, and the rollup
//! the delta, so that the satisfaction indicator (满意率 = (满意 + 基本满意) / 评价数) is measured.

use xinfang_contracts::satisfaction::SatisfactionRatedV1;
use xinfang_messaging::UnitOfWork;

use crate::statistics::{
    domain::read_model::delta,
    store::{
        case_facts::{self, save},
        rollup::add_delta,
    },
};

/// Record a case's rating (the first one only: notification accepts one per case).
#[tracing::instrument(skip_all, fields(case_id = %e.petition_id))]
pub async fn apply(uow: &mut UnitOfWork<'_>, e: &SatisfactionRatedV1) -> Result<(), sqlx::Error> {
    let Some(old) = case_facts::load(uow.conn(), e.petition_id).await? else {
        tracing::warn!("rating for a case not registered here; statistics skip it");
        return Ok(());
    };
    if old.satisfaction.is_some() {
        return Ok(());
    }
    let mut f = old.clone();
    f.satisfaction = Some(e.rating.clone());
    save(uow.conn(), &f).await?;
    add_delta(uow, delta(Some(&old), Some(&f))).await
}
