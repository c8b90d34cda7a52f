//! The URL paths of the pages, in one place: the router, the menus, the forms and the
//! redirections all take them from here. French in the URLs, as users read them.

pub const SEARCH: &str = "/recherche";
pub const STATISTICS: &str = "/statistiques";
pub const SIGN_IN: &str = "/connexion";
pub const SIGN_IN_EXPIRED: &str = "/connexion?expiree=1";
pub const SIGN_OUT: &str = "/deconnexion";
pub const SPACE: &str = "/espace";
pub const PASSWORD: &str = "/espace/mot-de-passe";

/// A psychologist's public card.
pub fn card(rpps: impl std::fmt::Display) -> String {
    format!("/psychologues/{rpps}")
}

/// One session of the ledger.
pub fn session(claim_id: &str) -> String {
    format!("/espace/seances/{claim_id}")
}

// Enrolment and accounts.
pub const ACCOUNTS: &str = "/espace/admin/comptes";
pub const AUDIT_LOG: &str = "/espace/admin/journal";
pub const APPLICATION: &str = "/espace/candidature";
pub const APPLICATION_DOCUMENTS: &str = "/espace/candidature/pieces";
pub const APPLICATION_FILING: &str = "/espace/candidature/depot";
pub const COMMITTEE: &str = "/espace/commission";
pub const CONVENTIONS: &str = "/espace/cpam";
pub const MY_CONVENTION: &str = "/espace/convention";
pub const WITHDRAWAL: &str = "/espace/convention/retrait";

/// An application, as its owner, the committee and the CPAM read it.
pub fn application(id: i64) -> String {
    format!("/espace/candidatures/{id}")
}

/// A psychologist's convention, as the CPAM manages it.
pub fn convention(rpps: impl std::fmt::Display) -> String {
    format!("/espace/cpam/{rpps}")
}
