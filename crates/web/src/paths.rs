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

/// The session form (psychologists).
pub const SESSION_FORM: &str = "/espace/seances";
/// A psychologist's sessions of the year.
pub const MY_SESSIONS: &str = "/espace/mes-seances";
/// A psychologist's monthly statement (`?mois=AAAA-MM`).
pub const MONTHLY_STATEMENT: &str = "/espace/mes-seances/releve.pdf";
/// The patient's follow-up.
pub const FOLLOW_UP: &str = "/espace/mon-suivi";

/// The cancellation form of a session.
pub fn cancellation(claim_id: &str) -> String {
    format!("/espace/seances/{claim_id}/annulation")
}

/// The care sheet of a session (PDF).
pub fn care_sheet(claim_id: &str) -> String {
    format!("/espace/seances/{claim_id}/feuille.pdf")
}

/// The patient's statement of a session (PDF).
pub fn statement(claim_id: &str) -> String {
    format!("/espace/seances/{claim_id}/decompte.pdf")
}

/// A session in the JSON API.
pub fn api_session(claim_id: &str) -> String {
    format!("/api/seances/{claim_id}")
}
