//! The one page frame: header with the menu of whoever is reading (public, or the signed-in
//! role's), skip link, main landmark, footer. Public pages, the professional space, the
//! statistics and the error pages all use it.

use crate::extract::CurrentUser;
use crate::paths;
use maud::{DOCTYPE, Markup, html};
use msp_domain::Role;

/// What a page says about itself to the frame.
pub struct Frame<'a> {
    pub user: Option<&'a CurrentUser>,
    pub title: &'a str,
    /// `<meta name="description">` of public pages.
    pub description: Option<&'a str>,
    /// Extra stylesheets (the statistics charts).
    pub styles: &'a [&'a str],
    /// Scripts (deferred), e.g. the search's completion.
    pub scripts: &'a [&'a str],
}

impl<'a> Frame<'a> {
    pub fn new(user: Option<&'a CurrentUser>, title: &'a str) -> Frame<'a> {
        Frame {
            user,
            title,
            description: None,
            styles: &[],
            scripts: &[],
        }
    }

    pub fn public(title: &'a str) -> Frame<'a> {
        Frame::new(None, title)
    }

    pub fn description(mut self, d: &'a str) -> Frame<'a> {
        self.description = Some(d);
        self
    }

    pub fn styles(mut self, s: &'a [&'a str]) -> Frame<'a> {
        self.styles = s;
        self
    }

    pub fn scripts(mut self, s: &'a [&'a str]) -> Frame<'a> {
        self.scripts = s;
        self
    }
}

/// Menu entries of a reader: (href, label).
/// The menu of a signed-in person (or of visitors): by role, and a département agent CPAM is
/// not offered the national batches it would be refused.
pub fn menu_of(user: Option<&CurrentUser>) -> Vec<(&'static str, &'static str)> {
    let mut m = menu(user.map(CurrentUser::role));
    if user.is_some_and(|u| {
        u.role() == Role::AgentCpam
            && u.account
                .territory
                .as_deref()
                .is_some_and(|t| !t.is_empty())
    }) {
        m.retain(|(href, _)| *href != "/espace/cpam/lots");
    }
    m
}

pub fn menu(role: Option<Role>) -> Vec<(&'static str, &'static str)> {
    match role {
        None => vec![
            ("/", "Accueil"),
            (paths::SEARCH, "Trouver un psychologue"),
            (paths::STATISTICS, "Statistiques"),
            (paths::SIGN_IN, "Se connecter"),
        ],
        Some(role) => {
            let mut m = vec![(paths::SPACE, "Mon espace")];
            m.extend(match role {
                Role::Psychologue => vec![
                    ("/espace/candidature", "Ma candidature"),
                    ("/espace/seances", "Saisir une séance"),
                    ("/espace/mes-seances", "Mes séances"),
                    ("/espace/adressages/verifier", "Vérifier un courrier"),
                ],
                Role::Expert => vec![("/espace/commission", "Candidatures à examiner")],
                Role::AgentCpam => vec![
                    ("/espace/cpam", "Conventions"),
                    ("/espace/cpam/rejets", "Séances rejetées"),
                    (paths::REMOTE_SHARE_CONTROL, "Contrôle visio"),
                    ("/espace/cpam/lots", "Liquidation"),
                ],
                Role::AnalysteArs => vec![(paths::STATISTICS, "Statistiques")],
                Role::Admin => vec![
                    ("/espace/admin/comptes", "Comptes"),
                    ("/espace/admin/journal", "Journal d’audit"),
                ],
                Role::Medecin | Role::SageFemme => {
                    vec![("/espace/adressages", "Courriers d’adressage")]
                }
                Role::Patient => {
                    vec![("/espace/mon-suivi", "Mon suivi : séances et remboursements")]
                }
            });
            m.push((paths::SEARCH, "Annuaire"));
            m
        }
    }
}

/// A whole page: the frame around `body`.
pub fn layout(frame: &Frame<'_>, body: Markup) -> Markup {
    let user = frame.user;
    html! {
        (DOCTYPE)
        html lang="fr" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                @if user.is_some() { meta name="robots" content="noindex"; }
                title { (frame.title) " – Mon soutien psy" }
                @if let Some(d) = frame.description { meta name="description" content=(d); }
                link rel="stylesheet" href="/static/style.css";
                @for s in frame.styles { link rel="stylesheet" href=(s); }
                @for s in frame.scripts { script src=(s) defer {} }
            }
            body {
                a class="skip" href="#contenu" { "Aller au contenu" }
                header class="site-header" {
                    div class="wrap header-inner" {
                        a class="brand" href="/" {
                            span class="brand-name" { "Mon soutien psy" }
                            span class="brand-sub" {
                                @if let Some(u) = user {
                                    (u.account.display_name) " · " (u.account.role.label_fr())
                                } @else { "Psychologues conventionnés, séances remboursées" }
                            }
                        }
                        nav aria-label="Menu principal" {
                            ul {
                                @for (href, label) in menu_of(user) {
                                    li { a href=(href) { (label) } }
                                }
                                @if let Some(u) = user {
                                    li {
                                        form method="post" action=(paths::SIGN_OUT) class="inline-form" {
                                            input type="hidden" name="_csrf" value=(u.csrf);
                                            button type="submit" class="link-button" { "Se déconnecter" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                main id="contenu" tabindex="-1" { div class="wrap" { (body) } }
                footer class="site-footer" {
                    div class="wrap" {
                        p {
                            "En cas d’urgence ou de pensées suicidaires, appelez le "
                            strong { "3114" } " (gratuit, 24\u{a0}h/24, 7\u{a0}j/7) ou le " strong { "15" } "."
                        }
                        p { "Vos données personnelles ne sont lues que par les personnes qui en ont besoin ; chaque consultation est tracée." }
                        p {
                            a href="/api/openapi.json" { "API ouverte (OpenAPI)" } " · "
                            a href="/fhir/metadata" { "Annuaire FHIR" } " · "
                            a href=(paths::STATISTICS) { "Statistiques publiques" }
                        }
                    }
                }
            }
        }
    }
}
