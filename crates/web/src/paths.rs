//! The URL paths of the pages, in one place: the router, the menus, the forms and the
//! redirections all take them from here. French in the URLs, as users read them.

pub const SEARCH: &str = "/recherche";
pub const STATISTICS: &str = "/statistiques";
pub const SIGN_IN: &str = "/connexion";
pub const SIGN_IN_EXPIRED: &str = "/connexion?expiree=1";
pub const SIGN_OUT: &str = "/deconnexion";
/// Where OpenID providers send the browser back (the redirect URI registered with them).
pub const OIDC_CALLBACK: &str = "/connexion/oidc/retour";
pub const OIDC_START_ROUTE: &str = "/connexion/oidc/{provider}";
/// A FranceConnect patient ties the account to the insured person here, once.
pub const PATIENT_LINK: &str = "/espace/rattachement";

/// The link that starts a sign-in with the provider `name`.
pub fn oidc_start(name: &str) -> String {
    format!("/connexion/oidc/{name}")
}
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

/// The session form with a verified letter's code and the session's date filled in (the
/// code is the letter's, not the patient's: no NIR in the address).
pub fn session_form_with_letter(code: &str, session: jiff::civil::Date) -> String {
    format!("{SESSION_FORM}?courrier={code}&date={session}")
}
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

/// Referral letters: the doctor's or midwife's form and list.
pub const LETTERS: &str = "/espace/adressages";
/// A psychologist checks a letter's code.
pub const LETTER_CHECK: &str = "/espace/adressages/verifier";
/// Route of [`letter_pdf`].
pub const LETTER_PDF_ROUTE: &str = "/espace/adressages/{code}/pdf";

/// A letter to print (its code in canonical form).
pub fn letter_pdf(code: &str) -> String {
    format!("/espace/adressages/{code}/pdf")
}

/// The CPAM's rejected claims.
pub const REJECTS: &str = "/espace/cpam/rejets";
pub const REMOTE_SHARE_CONTROL: &str = "/espace/cpam/controles";
/// The same list as CSV (`?annee=YYYY`).
pub const REMOTE_SHARE_CONTROL_CSV: &str = "/espace/cpam/controles.csv";

/// Rejected claims of one reason.
pub fn rejects_of(reason_code: &str) -> String {
    format!("{REJECTS}?motif={reason_code}")
}

/// Batches judged from the web: the list and the upload form.
pub const BATCHES: &str = "/espace/cpam/lots";
/// Routes of [`batch_job`], [`batch_decisions`] and [`batch_errors`].
pub const BATCH_JOB_ROUTE: &str = "/espace/cpam/lots/travaux/{job}";
pub const BATCH_JOB_RESTART_ROUTE: &str = "/espace/cpam/lots/travaux/{job}/relancer";
pub const BATCH_DECISIONS_ROUTE: &str = "/espace/cpam/lots/{id}/decisions.csv";
pub const BATCH_ERRORS_ROUTE: &str = "/espace/cpam/lots/{id}/erreurs.csv";

/// The page following a batch being judged.
pub fn batch_job(job: i64) -> String {
    format!("/espace/cpam/lots/travaux/{job}")
}

/// Runs again a batch whose server died (POST).
pub fn batch_job_restart(job: i64) -> String {
    format!("/espace/cpam/lots/travaux/{job}/relancer")
}

/// The decisions of a batch (CSV).
pub fn batch_decisions(batch: i64) -> String {
    format!("/espace/cpam/lots/{batch}/decisions.csv")
}

/// The unreadable rows of a batch (CSV).
pub fn batch_errors(batch: i64) -> String {
    format!("/espace/cpam/lots/{batch}/erreurs.csv")
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
/// « Ma fiche »: the psychologist's directory card and availability.
pub const MY_CARD: &str = "/espace/fiche";
pub const MY_AVAILABILITY: &str = "/espace/fiche/disponibilite";
/// The reminders sent or recorded (admin).
pub const REMINDERS: &str = "/espace/admin/rappels";
pub const WITHDRAWAL: &str = "/espace/convention/retrait";

/// An application, as its owner, the committee and the CPAM read it.
pub fn application(id: i64) -> String {
    format!("/espace/candidatures/{id}")
}

/// A psychologist's convention, as the CPAM manages it.
pub fn convention(rpps: impl std::fmt::Display) -> String {
    format!("/espace/cpam/{rpps}")
}
