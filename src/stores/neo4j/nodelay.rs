//! `TCP_NODELAY` on the driver's connections.
//!
//! Why: neo4rs (0.9.0-rc.11) opens its Bolt connections with Nagle's
//! algorithm on and writes a message through an 8 KiB buffer, several
//! `write`s per batch. Nagle holds each write smaller than a segment until
//! the previous one is acknowledged, and the server delays its ACKs: every
//! batch waited on the network while neither side worked. The official
//! drivers set `TCP_NODELAY` on every Bolt socket; neo4rs gives no way to,
//! and no hook to reach its socket. So after the pool hands out a
//! connection, this finds the process's TCP sockets whose peer is the
//! server's Bolt port and sets the option on each (idempotent, a few
//! syscalls). Measured (bench/results/profile.md, "Nagle"): a cold seed of
//! 100k small files wrote in 12.2 s instead of 18.9 s.
//!
//! Only sockets connected to the target's port are touched, so a program
//! embedding the library keeps its own sockets as they are. (A cluster whose
//! members listen on other ports than the one in the URI keeps Nagle on the
//! connections to those: correct, only slower.)

/// Set `TCP_NODELAY` on every TCP socket of this process connected to
/// `port`; returns how many were set. Errors are ignored: a socket closed
/// meanwhile, or one that is not TCP, is simply left alone.
pub(super) fn set_on_connections_to(port: u16) -> usize {
    open_fds()
        .into_iter()
        .filter(|&fd| set_if_peer(fd, port))
        .count()
}

#[cfg(unix)]
fn set_if_peer(fd: i32, port: u16) -> bool {
    use std::os::fd::BorrowedFd;
    // SAFETY: `fd` was open when listed; the borrow lives only for these
    // two calls. If it was closed and reused in between, the calls act on
    // whatever the number now names, and only set TCP_NODELAY on a TCP
    // socket connected to the Neo4j port, which is harmless.
    let fd = unsafe { BorrowedFd::borrow_raw(fd) };
    let sock = socket2::SockRef::from(&fd);
    let to_bolt = sock
        .peer_addr()
        .ok()
        .and_then(|a| a.as_socket())
        .is_some_and(|a| a.port() == port);
    to_bolt && sock.set_tcp_nodelay(true).is_ok()
}

#[cfg(not(unix))]
fn set_if_peer(_fd: i32, _port: u16) -> bool {
    false
}

/// The descriptors open in this process. Linux lists them in /proc; other
/// Unixes get the low descriptors probed (a CLI holds a handful).
fn open_fds() -> Vec<i32> {
    if let Ok(dir) = std::fs::read_dir("/proc/self/fd") {
        return dir
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .collect();
    }
    if cfg!(unix) {
        (0..1024).collect()
    } else {
        Vec::new()
    }
}

/// Whether a socket of this process connected to `port` has Nagle off
/// (for tests: `None` when no such socket is open).
#[doc(hidden)]
pub fn connections_to_port_have_nodelay(port: u16) -> Option<bool> {
    #[cfg(unix)]
    {
        use std::os::fd::BorrowedFd;
        let mut seen = None;
        for fd in open_fds() {
            // SAFETY: as in `set_if_peer`; read-only queries.
            let fd = unsafe { BorrowedFd::borrow_raw(fd) };
            let sock = socket2::SockRef::from(&fd);
            let peer = sock.peer_addr().ok().and_then(|a| a.as_socket());
            if peer.is_some_and(|a| a.port() == port) {
                let on = sock.tcp_nodelay().unwrap_or(false);
                seen = Some(seen.unwrap_or(true) && on);
            }
        }
        seen
    }
    #[cfg(not(unix))]
    {
        let _ = port;
        None
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::net::{TcpListener, TcpStream};

    use super::*;

    #[test]
    fn sets_nagle_off_only_on_sockets_to_the_port() {
        let bolt = TcpListener::bind("127.0.0.1:0").unwrap();
        let other = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = bolt.local_addr().unwrap().port();
        let to_bolt = TcpStream::connect(bolt.local_addr().unwrap()).unwrap();
        let to_other = TcpStream::connect(other.local_addr().unwrap()).unwrap();
        // The kernel's default, which is what neo4rs leaves.
        assert!(!to_bolt.nodelay().unwrap());
        assert_eq!(connections_to_port_have_nodelay(port), Some(false));

        assert!(set_on_connections_to(port) >= 1);
        assert!(to_bolt.nodelay().unwrap());
        assert!(!to_other.nodelay().unwrap(), "another port is left alone");
        assert_eq!(connections_to_port_have_nodelay(port), Some(true));
        // Idempotent.
        set_on_connections_to(port);
        assert!(to_bolt.nodelay().unwrap());
    }

    #[test]
    fn no_socket_to_the_port_is_none() {
        let idle = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = idle.local_addr().unwrap().port();
        assert_eq!(connections_to_port_have_nodelay(port), None);
        assert_eq!(set_on_connections_to(port), 0);
    }
}
