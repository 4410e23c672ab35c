//! Connecting to Neo4j: the driver's settings, the `RETURN 1` check, and a
//! hint at the likely cause when connecting fails (TLS scheme, credentials,
//! port). Nothing here ever includes the password.

use std::time::Duration;

use neo4rs::{ConfigBuilder, Graph, query};

use super::Neo4jStore;
use super::errors::describe_error;
use crate::cypher;
use crate::stores::StoreError;
use crate::stores::target::Target;

/// Connection tuning for [`connect`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Neo4jOptions {
    /// Bounds connecting AND every single read from the server (neo4rs uses
    /// it as the receive timeout), so it must stay well above the slowest
    /// batch commit, or a slow but healthy commit is reported as a dropped
    /// connection.
    pub connection_timeout: Duration,
    /// Rows per PULL when streaming results.
    pub fetch_size: usize,
    /// Size of the connection pool.
    pub max_connections: usize,
}

impl Default for Neo4jOptions {
    fn default() -> Self {
        Self {
            connection_timeout: Duration::from_secs(120),
            fetch_size: 10_000,
            max_connections: 8,
        }
    }
}

/// Connect to a Neo4j target and check it answers (`RETURN 1`), so a wrong
/// address, password or TLS setting fails here with a clear message rather
/// than in the middle of a run.
pub async fn connect(target: &Target, opts: &Neo4jOptions) -> Result<Neo4jStore, StoreError> {
    let name = target.describe();
    let Target::Neo4j {
        uri,
        host,
        port,
        database,
        username,
        password,
        ..
    } = target
    else {
        return Err(StoreError::Unreachable {
            target: name,
            message: "not a Neo4j target (bolt://, neo4j://, ...)".into(),
        });
    };
    let mut config = ConfigBuilder::default()
        .uri(uri.as_str())
        .user(username.as_str())
        // A server with auth disabled accepts any password; one with auth on
        // rejects the empty one, and the hint below says where to set it.
        .password(password.as_ref().map(|p| p.expose()).unwrap_or(""))
        .fetch_size(opts.fetch_size.max(1))
        .max_connections(opts.max_connections.max(1))
        .connection_timeout(opts.connection_timeout);
    // TLS follows the scheme inside neo4rs: `+s` verifies against the system
    // roots, `+ssc` accepts a self-signed certificate.
    if let Some(db) = database {
        config = config.db(db.as_str());
    }
    let config = config.build().map_err(|e| StoreError::Unreachable {
        target: name.clone(),
        message: format!("invalid connection settings: {e}"),
    })?;
    let graph = Graph::connect(config.clone()).map_err(|e| StoreError::Unreachable {
        target: name.clone(),
        message: connect_hint(&e, host, username, password.is_some(), opts),
    })?;
    let store = Neo4jStore::new(graph.clone(), config, name, *port);
    let check = async {
        let mut rows = graph.execute(query(cypher::PING)).await?;
        store.tune_connections();
        let row = rows.next().await?;
        Ok::<_, neo4rs::Error>(row)
    };
    let unreachable = |message: String| StoreError::Unreachable {
        target: store.name.clone(),
        message,
    };
    match tokio::time::timeout(opts.connection_timeout, check).await {
        Err(_) => Err(unreachable(format!(
            "no answer within {} s (is the host reachable and the port a Bolt port?)",
            opts.connection_timeout.as_secs()
        ))),
        Ok(Err(e)) => Err(unreachable(connect_hint(
            &e,
            host,
            username,
            password.is_some(),
            opts,
        ))),
        Ok(Ok(None)) => Err(unreachable("`RETURN 1` returned no row".into())),
        Ok(Ok(Some(_))) => Ok(store),
    }
}

/// A connect-time error with a hint at the likely cause. Never includes the
/// password (neo4rs's messages do not carry it either).
pub(super) fn connect_hint(
    e: &neo4rs::Error,
    host: &str,
    username: &str,
    have_password: bool,
    opts: &Neo4jOptions,
) -> String {
    use neo4rs::Error as E;
    match e {
        E::AuthenticationError(msg) => {
            let hint = if have_password {
                "check the user name (--username / NEO4J_USERNAME) and the password (NEO4J_PASSWORD / --password-file)"
            } else {
                "no password was given: set NEO4J_PASSWORD or use --password-file"
            };
            format!("authentication failed for user `{username}`: {msg}; {hint}")
        }
        E::IOError { detail } => {
            let text = detail.to_string();
            let lower = text.to_lowercase();
            match detail.kind() {
                std::io::ErrorKind::ConnectionRefused => format!(
                    "connection refused by {host}: is Neo4j running there, and is this its Bolt port (default 7687)?"
                ),
                _ if lower.contains("certificate")
                    || lower.contains("tls")
                    || lower.contains("handshake") =>
                {
                    format!(
                        "TLS handshake failed: {text} (a self-signed certificate needs bolt+ssc:// or neo4j+ssc://; a server without TLS needs bolt:// or neo4j://)"
                    )
                }
                std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset => format!(
                    "the server closed the connection during the handshake ({text}); if it requires TLS use bolt+s:// or neo4j+s://"
                ),
                _ if lower.contains("lookup")
                    || lower.contains("resolve")
                    || lower.contains("name or service") =>
                {
                    format!("cannot resolve host {host}: {text}")
                }
                _ => format!("cannot connect to {host}: {text}"),
            }
        }
        E::ConnectionTimedOut => format!(
            "no answer from {host} within {} s (is the host reachable and the port a Bolt port?)",
            opts.connection_timeout.as_secs()
        ),
        E::Neo4j(n) if n.code() == "Neo.ClientError.Database.DatabaseNotFound" => {
            format!("the database does not exist: {}", n.message())
        }
        E::UnsupportedVersion(major, minor) => format!(
            "the server offers Bolt {major}.{minor}, which the neo4rs driver does not speak (Neo4j 4.4, 5.x and 2025.x are supported)"
        ),
        E::UnsupportedScheme(s) => format!("unsupported URI scheme `{s}`"),
        other => describe_error(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_hints_name_the_cause_and_never_the_password() {
        let opts = Neo4jOptions::default();
        let refused = neo4rs::Error::IOError {
            detail: std::io::Error::from(std::io::ErrorKind::ConnectionRefused),
        };
        assert!(connect_hint(&refused, "db", "neo4j", true, &opts).contains("refused"));
        let auth = neo4rs::Error::AuthenticationError("The client is unauthorized".into());
        let text = connect_hint(&auth, "db", "neo4j", false, &opts);
        assert!(
            text.contains("authentication failed") && text.contains("NEO4J_PASSWORD"),
            "{text}"
        );
        let tls = neo4rs::Error::IOError {
            detail: std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "invalid peer certificate: UnknownIssuer",
            ),
        };
        assert!(connect_hint(&tls, "db", "neo4j", true, &opts).contains("bolt+ssc://"));
    }

    #[test]
    fn default_timeout_leaves_room_for_slow_batches() {
        assert!(Neo4jOptions::default().connection_timeout >= Duration::from_secs(120));
    }
}
