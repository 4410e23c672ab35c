//! The lease lock of a group. Every read-then-write runs in an IMMEDIATE
//! transaction (see [`super::immediate`]): two claimants can never both see
//! the lock free.

use rusqlite::{Connection, Transaction, params};

use super::decode::read_lock_row;
use super::errors::{Fail, R};
use super::immediate;
use crate::metadata::format_time;
use crate::sql;
use crate::stores::{LockInfo, LockOutcome};

/// One conditional DELETE: a no-op unless `run_id` is the holder, so a late
/// release never frees a lock that someone else has since taken over.
pub(super) fn release_lock_in(conn: &Connection, group_id: &str, run_id: &str) -> R<()> {
    conn.prepare_cached(sql::LOCK_RELEASE)?
        .execute(params![group_id, run_id])?;
    Ok(())
}

pub(super) fn select_lock(conn: &Connection, group_id: &str) -> R<Option<LockInfo>> {
    let mut stmt = conn.prepare_cached(sql::LOCK_READ)?;
    let mut rows = stmt.query(params![group_id])?;
    match rows.next()? {
        Some(row) => Ok(Some(read_lock_row(row)?)),
        None => Ok(None),
    }
}

pub(super) fn write_lock(tx: &Transaction<'_>, claim: &LockInfo) -> R<()> {
    tx.prepare_cached(sql::LOCK_WRITE)?.execute(params![
        claim.group_id,
        claim.owner,
        claim.host,
        claim.run_id,
        format_time(&claim.acquired_at),
        format_time(&claim.expires_at),
    ])?;
    Ok(())
}

pub(super) fn acquire_lock_in(
    conn: &mut Connection,
    claim: &LockInfo,
    takeover: bool,
) -> R<LockOutcome> {
    // Read and write under one write lock: two claimants can never both see
    // the lock free and both take it.
    let tx = immediate(conn)?;
    if let Some(holder) = select_lock(&tx, &claim.group_id)? {
        let ours = holder.run_id == claim.run_id;
        // Compared at the microsecond precision the row keeps.
        let expired = format_time(&holder.expires_at) <= format_time(&claim.acquired_at);
        if !(ours || expired || takeover) {
            return Ok(LockOutcome::Held(holder));
        }
    }
    write_lock(&tx, claim)?;
    tx.commit()?;
    Ok(LockOutcome::Acquired)
}

pub(super) fn renew_lock_in(conn: &mut Connection, claim: &LockInfo) -> R<LockOutcome> {
    let tx = immediate(conn)?;
    match select_lock(&tx, &claim.group_id)? {
        Some(holder) if holder.run_id == claim.run_id => {
            // Still ours (even if it lapsed, nobody took it over meanwhile):
            // extend it. `acquired_at` keeps the time it was first taken.
            tx.prepare_cached(sql::LOCK_RENEW)?
                .execute(params![claim.group_id, format_time(&claim.expires_at)])?;
            tx.commit()?;
            Ok(LockOutcome::Acquired)
        }
        Some(holder) => Ok(LockOutcome::Held(holder)),
        // Released or removed with `graphseed unlock`: the lease is lost.
        // Silently taking it again would hide that another writer may have
        // held it (and written) in between, so refuse and let the run stop.
        None => Err(Fail::LockGone {
            group_id: claim.group_id.clone(),
            run_id: claim.run_id.clone(),
        }),
    }
}

pub(super) fn force_unlock_in(conn: &mut Connection, group_id: &str) -> R<Option<LockInfo>> {
    // Read the holder and delete in one transaction, so the holder reported
    // is the one actually removed.
    let tx = immediate(conn)?;
    let holder = select_lock(&tx, group_id)?;
    if holder.is_some() {
        tx.prepare_cached(sql::LOCK_DELETE)?
            .execute(params![group_id])?;
    }
    tx.commit()?;
    Ok(holder)
}
