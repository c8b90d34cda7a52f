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
