//! Telling an outage (数据库不可用) from a failure of the work itself.

/// True when the error means the database could not be reached or is restarting, rather than that
/// this piece of work is wrong: the work should wait and try again, not count against the message's
/// delivery limit.
pub fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::BeginFailed => true,
        sqlx::Error::Database(db) => db
            .code()
            .map(|c| {
                // 08: connection exception; 57P01-57P03: admin shutdown, crash shutdown, cannot connect now;
                // 53300: too many connections.
                c.starts_with("08") || c.starts_with("57P0") || c == "53300"
            })
            .unwrap_or(false),
        _ => false,
    }
}

/// The same test through an error chain (anyhow).
pub fn chain_is_unavailable(e: &anyhow::Error) -> bool {
    e.chain()
        .any(|c| c.downcast_ref::<sqlx::Error>().is_some_and(is_unavailable))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_failures_are_outages_and_data_errors_are_not() {
        assert!(is_unavailable(&sqlx::Error::PoolTimedOut));
        assert!(is_unavailable(&sqlx::Error::Io(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "refused"
        ))));
        assert!(!is_unavailable(&sqlx::Error::RowNotFound));
        assert!(!is_unavailable(&sqlx::Error::ColumnNotFound("x".into())));
        let wrapped = anyhow::Error::from(sqlx::Error::PoolClosed).context("while applying");
        assert!(chain_is_unavailable(&wrapped));
    }
}
