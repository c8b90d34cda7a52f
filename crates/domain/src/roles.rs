//! Roles of the people who sign in (SPEC §2). The anonymous public has no account.

/// What an account may do. Stored by its [`Role::code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Role {
    Patient,
    Psychologue,
    Medecin,
    SageFemme,
    Expert,
    AgentCpam,
    /// Analyst of an ARS: statistics of one région only.
    AnalysteArs,
    Admin,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Patient,
        Role::Psychologue,
        Role::Medecin,
        Role::SageFemme,
        Role::Expert,
        Role::AgentCpam,
        Role::AnalysteArs,
        Role::Admin,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::Patient => "patient",
            Role::Psychologue => "psychologue",
            Role::Medecin => "medecin",
            Role::SageFemme => "sage_femme",
            Role::Expert => "expert",
            Role::AgentCpam => "agent_cpam",
            Role::AnalysteArs => "analyste_ars",
            Role::Admin => "admin",
        }
    }

    pub fn parse(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == code.trim())
    }

    /// As people read it.
    pub fn label_fr(self) -> &'static str {
        match self {
            Role::Patient => "Patient",
            Role::Psychologue => "Psychologue",
            Role::Medecin => "Médecin",
            Role::SageFemme => "Sage-femme",
            Role::Expert => "Expert (commission de sélection)",
            Role::AgentCpam => "Agent de CPAM",
            Role::AnalysteArs => "Analyste d’ARS",
            Role::Admin => "Administrateur",
        }
    }

    /// Whether accounts of this role need a territory: the région of an ARS analyst (required),
    /// the département of a CPAM agent (optional: none means every département).
    pub fn needs_region(self) -> bool {
        matches!(self, Role::AnalysteArs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.code()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
