//! What `check_schema` requires of a Neo4j database: the uniqueness
//! constraints every MERGE relies on, matched whatever their names.

/// A required uniqueness constraint: (name as `init` creates it, label,
/// properties).
pub(super) const REQUIRED_CONSTRAINTS: &[(&str, &str, &[&str])] = &[
    (
        "graphseed_episode_key",
        "Episode",
        &["group_id", "entity_id"],
    ),
    ("graphseed_run_key", "SeedRun", &["run_id"]),
    ("graphseed_group_key", "SeedGroup", &["group_id"]),
    ("graphseed_lock_key", "SeedLock", &["group_id"]),
    (
        "graphseed_community_key",
        "Community",
        &["group_id", "entity_id"],
    ),
];

/// One row of `SHOW CONSTRAINTS`.
pub(super) struct ShownConstraint {
    pub(super) kind: String,
    pub(super) entity: String,
    pub(super) labels: Vec<String>,
    pub(super) properties: Vec<String>,
}

impl ShownConstraint {
    /// Enforces uniqueness of `props` on `label`, whatever its name (a user
    /// may have created an equivalent one, or a NODE KEY on Enterprise).
    pub(super) fn enforces(&self, label: &str, props: &[&str]) -> bool {
        let unique = matches!(
            self.kind.as_str(),
            "UNIQUENESS" | "NODE_PROPERTY_UNIQUENESS" | "NODE_KEY"
        );
        let mut have: Vec<&str> = self.properties.iter().map(String::as_str).collect();
        let mut want = props.to_vec();
        have.sort_unstable();
        want.sort_unstable();
        unique && self.entity == "NODE" && self.labels == [label] && have == want
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraint_matching_ignores_names_and_property_order() {
        let c = ShownConstraint {
            kind: "UNIQUENESS".into(),
            entity: "NODE".into(),
            labels: vec!["Episode".into()],
            properties: vec!["entity_id".into(), "group_id".into()],
        };
        assert!(c.enforces("Episode", &["group_id", "entity_id"]));
        assert!(!c.enforces("Episode", &["group_id"]));
        assert!(!c.enforces("SeedRun", &["group_id", "entity_id"]));
        let index_only = ShownConstraint {
            kind: "NODE_PROPERTY_EXISTENCE".into(),
            ..c
        };
        assert!(!index_only.enforces("Episode", &["group_id", "entity_id"]));
    }
}
