//! Where the graph lives: a Neo4j URI or an embedded SQLite file.

use std::fmt;
use std::path::PathBuf;

use crate::redact;

/// A password. Its `Debug` and `Display` never show the value, so it cannot
/// leak through a log line, an error or a panic message by accident.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    /// The only way to read the value; call it where the driver needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret::new(s))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// How the Neo4j connection is secured, from the URI scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    /// `bolt://`, `neo4j://`
    None,
    /// `+s`: verify the server certificate against the system roots.
    Verified,
    /// `+ssc`: accept a self-signed certificate.
    SelfSigned,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Neo4j {
        /// The URI as given, minus any userinfo.
        uri: String,
        /// `neo4j://` family (routing) rather than `bolt://` (direct).
        routing: bool,
        tls: Tls,
        host: String,
        database: Option<String>,
        username: String,
        password: Option<Secret>,
    },
    Sqlite {
        path: PathBuf,
    },
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TargetError {
    #[error(
        "unsupported target `{0}`: use bolt://, bolt+s://, bolt+ssc://, neo4j://, neo4j+s://, neo4j+ssc:// or sqlite:PATH"
    )]
    Scheme(String),
    #[error(
        "target `{0}` carries credentials in the URI: pass the user with --username and the password with NEO4J_PASSWORD or --password-file"
    )]
    CredentialsInUri(String),
    #[error("target `{0}` has no host")]
    NoHost(String),
}

pub const DEFAULT_TARGET: &str = "sqlite:.graphseed/graph.db";

impl Target {
    pub fn parse(
        uri: &str,
        database: Option<String>,
        username: Option<String>,
        password: Option<Secret>,
    ) -> Result<Self, TargetError> {
        if let Some(path) = uri.strip_prefix("sqlite:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            return Ok(Target::Sqlite {
                path: PathBuf::from(path),
            });
        }
        let (scheme, rest) = uri
            .split_once("://")
            .ok_or_else(|| TargetError::Scheme(redact::uri(uri)))?;
        let (routing, tls) = match scheme {
            "bolt" => (false, Tls::None),
            "bolt+s" => (false, Tls::Verified),
            "bolt+ssc" => (false, Tls::SelfSigned),
            "neo4j" => (true, Tls::None),
            "neo4j+s" => (true, Tls::Verified),
            "neo4j+ssc" => (true, Tls::SelfSigned),
            _ => return Err(TargetError::Scheme(redact::uri(uri))),
        };
        let authority = rest.split(['/', '?']).next().unwrap_or("");
        if authority.contains('@') {
            // Never echo the URI back: it holds the credentials.
            return Err(TargetError::CredentialsInUri(format!("{scheme}://…")));
        }
        let host = match authority.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or("").to_string(),
            None => authority.split(':').next().unwrap_or("").to_string(),
        };
        if host.is_empty() {
            return Err(TargetError::NoHost(redact::uri(uri)));
        }
        Ok(Target::Neo4j {
            uri: uri.to_string(),
            routing,
            tls,
            host,
            database,
            username: username.unwrap_or_else(|| "neo4j".to_string()),
            password,
        })
    }

    /// A name for messages and run records, never carrying a secret: the
    /// URI goes through the one redaction rule (a query string may hold a
    /// password even though userinfo is refused).
    pub fn describe(&self) -> String {
        match self {
            Target::Neo4j { uri, database, .. } => match database {
                Some(db) => format!("{} (database {db})", redact::uri(uri)),
                None => redact::uri(uri),
            },
            Target::Sqlite { path } => format!("sqlite:{}", path.display()),
        }
    }

    /// Plaintext Bolt to a host that is not this machine: worth a warning.
    pub fn is_plaintext_remote(&self) -> bool {
        match self {
            Target::Neo4j { tls, host, .. } => *tls == Tls::None && !is_loopback(host),
            Target::Sqlite { .. } => false,
        }
    }
}

/// This machine by name or address. An address must parse as one: a name
/// like `127.example.com` is somebody else's machine.
fn is_loopback(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    let host = host.strip_suffix('.').unwrap_or(&host);
    host == "localhost"
        || host.ends_with(".localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_scheme() {
        for (uri, routing, tls) in [
            ("bolt://localhost:7687", false, Tls::None),
            ("bolt+s://db.example.com", false, Tls::Verified),
            ("bolt+ssc://10.0.0.1:7687", false, Tls::SelfSigned),
            ("neo4j://h", true, Tls::None),
            ("neo4j+s://h", true, Tls::Verified),
            ("neo4j+ssc://h", true, Tls::SelfSigned),
        ] {
            match Target::parse(uri, None, None, None).unwrap() {
                Target::Neo4j {
                    routing: r, tls: t, ..
                } => assert_eq!((r, t), (routing, tls), "{uri}"),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(
            Target::parse("sqlite:.graphseed/graph.db", None, None, None).unwrap(),
            Target::Sqlite {
                path: ".graphseed/graph.db".into()
            }
        );
    }

    #[test]
    fn refuses_credentials_in_uri_without_echoing_them() {
        let err = Target::parse("bolt://neo4j:hunter2@host", None, None, None).unwrap_err();
        assert!(!err.to_string().contains("hunter2"));
    }

    #[test]
    fn warns_only_for_plaintext_remote() {
        let t = |u| {
            Target::parse(u, None, None, None)
                .unwrap()
                .is_plaintext_remote()
        };
        assert!(t("bolt://db.example.com"));
        assert!(t("bolt://127.example.com:7687"), "a name, not an address");
        assert!(t("neo4j://10.0.0.5"));
        assert!(!t("bolt://127.0.0.1:7687"));
        assert!(!t("bolt://127.1.2.3:7687"));
        assert!(!t("bolt://localhost"));
        assert!(!t("bolt://LOCALHOST:7687"));
        assert!(!t("bolt://[::1]:7687"));
        assert!(!t("bolt+s://db.example.com"));
    }

    #[test]
    fn secret_never_prints() {
        let s = Secret::new("hunter2");
        assert!(!format!("{s:?} {s}").contains("hunter2"));
    }
}
