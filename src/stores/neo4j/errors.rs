//! What a Neo4j error means for the caller: retry the transaction, give up
//! on the query, or report the target unreachable. Every `StoreError` the
//! Neo4j store returns is classified here, so the retry loop in `applying`
//! decides on one rule.

/// The schema rule `init` asked for already exists (created concurrently).
pub(super) fn is_already_there(code: &str) -> bool {
    matches!(
        code,
        "Neo.ClientError.Schema.EquivalentSchemaRuleAlreadyExists"
            | "Neo.ClientError.Schema.IndexAlreadyExists"
            | "Neo.ClientError.Schema.ConstraintAlreadyExists"
    )
}

/// How an error should be handled by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Retry the whole transaction (with backoff).
    Transient,
    /// The query or the data is wrong: retrying cannot help.
    Query,
    /// Cannot talk to the database as configured (credentials, database).
    Unreachable,
}

/// Classify a Neo4j status code (`Neo.<Classification>.<Category>.<Title>`).
pub fn classify_code(code: &str) -> ErrorClass {
    match code {
        // Terminated by an administrator or by the server's own transaction
        // timeout. Neo4j files these under TransientError, but every official
        // driver treats them as final (neo4rs rewrites them to ClientError
        // too): a batch that timed out would time out again.
        "Neo.TransientError.Transaction.Terminated"
        | "Neo.TransientError.Transaction.LockClientStopped"
        | "Neo.ClientError.Transaction.Terminated"
        | "Neo.ClientError.Transaction.LockClientStopped"
        | "Neo.ClientError.Transaction.TransactionTimedOut"
        | "Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration" => ErrorClass::Query,
        // Cluster leadership moved: the same transaction succeeds on the new
        // leader once the connection is renewed.
        "Neo.ClientError.Cluster.NotALeader"
        | "Neo.ClientError.General.ForbiddenOnReadOnlyDatabase"
        // The auth token expired: a fresh connection re-authenticates.
        | "Neo.ClientError.Security.AuthorizationExpired" => ErrorClass::Transient,
        // Answer to a request sent after a failure on the same connection;
        // the real failure came first, a new connection starts clean.
        "Neo.ServerError.Ignored" => ErrorClass::Transient,
        "Neo.ClientError.Security.Unauthorized"
        | "Neo.ClientError.Security.AuthenticationRateLimit"
        | "Neo.ClientError.Security.CredentialsExpired"
        | "Neo.ClientError.Security.TokenExpired"
        | "Neo.ClientError.Database.DatabaseNotFound" => ErrorClass::Unreachable,
        // Deadlocks, leader elections, database temporarily unavailable,
        // out of memory pool: Neo4j says "retry".
        _ if code.starts_with("Neo.TransientError.") => ErrorClass::Transient,
        _ => ErrorClass::Query,
    }
}

/// Classify a driver error.
pub fn classify(e: &neo4rs::Error) -> ErrorClass {
    use neo4rs::Error as E;
    match e {
        E::Neo4j(n) => classify_code(n.code()),
        // The connection dropped, was reset or timed out, or got out of step
        // with the protocol: a new connection from the pool can redo the
        // whole transaction (nothing of an uncommitted one survived).
        E::IOError { .. }
        | E::ConnectionError
        | E::ConnectionTimedOut
        | E::IncompleteBoltExchange
        | E::ServerUnavailableError(_)
        | E::RoutingTableRefreshFailed(_)
        | E::RoutingTableError(_)
        | E::RequestIgnoredError
        | E::Ignored(_)
        | E::UnexpectedMessage(_) => ErrorClass::Transient,
        E::AuthenticationError(_) => ErrorClass::Unreachable,
        _ => ErrorClass::Query,
    }
}

/// The driver's message, with the Neo4j code when there is one. Adds a hint
/// for errors whose fix is a setting.
pub(super) fn describe_error(e: &neo4rs::Error) -> String {
    match e {
        neo4rs::Error::Neo4j(n) => {
            let mut s = format!("{} ({})", n.message(), n.code());
            if n.code().contains("TransactionTimedOut") {
                s.push_str("; use smaller batches or raise db.transaction.timeout");
            }
            s
        }
        neo4rs::Error::ConnectionTimedOut => {
            "no answer within the connection timeout (raise it if batches are slow)".into()
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_codes_are_retried() {
        for code in [
            "Neo.TransientError.Transaction.DeadlockDetected",
            "Neo.TransientError.Transaction.LockAcquisitionTimeout",
            "Neo.TransientError.General.DatabaseUnavailable",
            "Neo.TransientError.General.MemoryPoolOutOfMemoryError",
            "Neo.TransientError.Cluster.ReplicationFailure",
            "Neo.ClientError.Cluster.NotALeader",
            "Neo.ClientError.General.ForbiddenOnReadOnlyDatabase",
            "Neo.ClientError.Security.AuthorizationExpired",
        ] {
            assert_eq!(classify_code(code), ErrorClass::Transient, "{code}");
        }
    }

    #[test]
    fn terminated_and_timed_out_transactions_are_final() {
        for code in [
            "Neo.TransientError.Transaction.Terminated",
            "Neo.TransientError.Transaction.LockClientStopped",
            "Neo.ClientError.Transaction.Terminated",
            "Neo.ClientError.Transaction.LockClientStopped",
            "Neo.ClientError.Transaction.TransactionTimedOut",
            "Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration",
        ] {
            assert_eq!(classify_code(code), ErrorClass::Query, "{code}");
        }
    }

    #[test]
    fn client_and_database_errors_are_query_errors() {
        for code in [
            "Neo.ClientError.Statement.SyntaxError",
            "Neo.ClientError.Schema.ConstraintValidationFailed",
            "Neo.ClientError.Statement.ParameterMissing",
            "Neo.ClientError.Statement.TypeError",
            "Neo.ClientError.Security.Forbidden",
            "Neo.DatabaseError.General.UnknownError",
            "",
        ] {
            assert_eq!(classify_code(code), ErrorClass::Query, "{code}");
        }
    }

    #[test]
    fn credentials_and_missing_database_are_unreachable() {
        for code in [
            "Neo.ClientError.Security.Unauthorized",
            "Neo.ClientError.Security.AuthenticationRateLimit",
            "Neo.ClientError.Security.CredentialsExpired",
            "Neo.ClientError.Database.DatabaseNotFound",
        ] {
            assert_eq!(classify_code(code), ErrorClass::Unreachable, "{code}");
        }
    }

    #[test]
    fn dropped_connections_are_transient() {
        use std::io::{Error as IoError, ErrorKind};
        for kind in [
            ErrorKind::ConnectionReset,
            ErrorKind::ConnectionAborted,
            ErrorKind::BrokenPipe,
            ErrorKind::UnexpectedEof,
            ErrorKind::ConnectionRefused,
            ErrorKind::TimedOut,
        ] {
            let e = neo4rs::Error::IOError {
                detail: IoError::from(kind),
            };
            assert_eq!(classify(&e), ErrorClass::Transient, "{kind:?}");
        }
        for e in [
            neo4rs::Error::ConnectionError,
            neo4rs::Error::ConnectionTimedOut,
            neo4rs::Error::IncompleteBoltExchange,
            neo4rs::Error::RequestIgnoredError,
            neo4rs::Error::ServerUnavailableError("gone".into()),
        ] {
            assert_eq!(classify(&e), ErrorClass::Transient, "{e}");
        }
    }

    #[test]
    fn driver_misuse_is_not_retried() {
        for e in [
            neo4rs::Error::ConversionError,
            neo4rs::Error::InvalidConfig,
            neo4rs::Error::StringTooLong,
            neo4rs::Error::UnsupportedScheme("http".into()),
        ] {
            assert_eq!(classify(&e), ErrorClass::Query, "{e}");
        }
        assert_eq!(
            classify(&neo4rs::Error::AuthenticationError("bad".into())),
            ErrorClass::Unreachable
        );
    }
}
