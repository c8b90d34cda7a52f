//! The command line in French: help layout, usage, value checks and clap's errors.
//!
//! clap writes « Usage: », « [default: …] », « invalid value … » in English. Here: the built-in
//! `--help`/`--version` are replaced by `-h/--aide` (alias `--help`) and `-V/--version` (in
//! [`crate::cli::Cli`]); every command gets a French help template; defaults, environment
//! variables and allowed values are written into each option's help; values are checked by the
//! parsers below, with French messages; and clap's errors are rewritten from their kind and
//! context. A usage error exits with status 1 (SPEC §8: nothing was done), never clap's 2.

use crate::cli::Cli;
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, Command, CommandFactory, FromArgMatches};
use std::process::ExitCode;

/// Parses the process's arguments; on help or version, prints them and gives status 0, on a
/// usage error prints a French message and gives status 1.
pub fn parse() -> Result<Cli, ExitCode> {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let matches = command()
        .try_get_matches_from(&args)
        .map_err(|e| report(&e, &args))?;
    Cli::from_arg_matches(&matches).map_err(|e| report(&e, &args))
}

/// The whole command tree, in French.
pub fn command() -> Command {
    let mut cmd = Cli::command();
    cmd.build();
    frenchify(cmd)
}

fn frenchify(mut cmd: Command) -> Command {
    let usage = cmd
        .render_usage()
        .to_string()
        .trim_start_matches("Usage:")
        .trim()
        .replace("[OPTIONS]", "[options]")
        .replace("<COMMANDE>", "<COMMANDE> [options]");
    let has_positionals = cmd.get_positionals().next().is_some();
    let has_subcommands = cmd.has_subcommands();
    let mut template = String::from("{about-with-newline}\nUtilisation : {usage}\n");
    if has_subcommands {
        template.push_str("\nCommandes :\n{subcommands}\n");
    }
    if has_positionals {
        template.push_str("\nArguments :\n{positionals}\n");
    }
    template.push_str("\nOptions :\n{options}{after-help}");
    cmd = cmd
        .override_usage(usage)
        .help_template(template)
        .mut_args(french_arg);
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    for name in names {
        cmd = cmd.mut_subcommand(name, frenchify);
    }
    cmd
}

/// Writes the default value, the environment variable and the allowed values into the help
/// text, in French, and hides clap's English notes.
fn french_arg(arg: Arg) -> Arg {
    let mut notes = Vec::new();
    let values: Vec<String> = arg
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| v.get_name().to_owned())
        .collect();
    if !values.is_empty() && !arg.is_hide_possible_values_set() {
        notes.push(format!("valeurs : {}", values.join(", ")));
    }
    let defaults: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|v| v.to_string_lossy().into_owned())
        .collect();
    if !defaults.is_empty() && !arg.is_hide_default_value_set() {
        notes.push(format!("par défaut : {}", defaults.join(", ")));
    }
    if let Some(env) = arg.get_env()
        && !arg.is_hide_env_set()
    {
        notes.push(format!(
            "variable d’environnement : {}",
            env.to_string_lossy()
        ));
    }
    if notes.is_empty() {
        return arg;
    }
    let suffix = format!(" [{}]", notes.join(" ; "));
    let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
    let long = arg.get_long_help().map(ToString::to_string);
    let mut arg = arg
        .help(format!("{help}{suffix}"))
        .hide_possible_values(true)
        .hide_default_value(true)
        .hide_env(true);
    if let Some(long) = long {
        arg = arg.long_help(format!("{long}{suffix}"));
    }
    arg
}

/// Prints what clap stopped on and gives the exit status.
fn report(e: &clap::Error, args: &[std::ffi::OsString]) -> ExitCode {
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            // The help, on stderr: the command was not run.
            eprint!("{}", e.render());
            ExitCode::from(1)
        }
        _ => {
            eprintln!("erreur : {}", message(e));
            eprintln!("Pour de l’aide : {} --aide", help_command(args));
            ExitCode::from(1)
        }
    }
}

/// « msp import » when the user typed a known subcommand, else « msp ».
fn help_command(args: &[std::ffi::OsString]) -> String {
    let cmd = Cli::command();
    let sub = args.iter().skip(1).filter_map(|a| a.to_str()).find(|a| {
        cmd.get_subcommands()
            .any(|s| s.get_name() == *a || s.get_all_aliases().any(|al| al == *a))
    });
    match sub {
        Some(s) => format!("msp {s}"),
        None => "msp".into(),
    }
}

fn context(e: &clap::Error, kind: ContextKind) -> Option<String> {
    match e.get(kind)? {
        ContextValue::String(s) => Some(s.clone()),
        ContextValue::Strings(v) => Some(v.join(", ")),
        ContextValue::StyledStr(s) => Some(s.to_string()),
        ContextValue::StyledStrs(v) => Some(
            v.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ContextValue::Number(n) => Some(n.to_string()),
        ContextValue::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// clap's error in one French sentence, from its kind and context (never its English text).
pub fn message(e: &clap::Error) -> String {
    let arg = context(e, ContextKind::InvalidArg).unwrap_or_default();
    let value = context(e, ContextKind::InvalidValue).unwrap_or_default();
    let mut text = match e.kind() {
        ErrorKind::InvalidValue if value.is_empty() => {
            format!("{arg} attend une valeur")
        }
        ErrorKind::InvalidValue => {
            let mut t = format!("valeur « {value} » invalide pour {arg}");
            if let Some(valid) = context(e, ContextKind::ValidValue) {
                t.push_str(&format!(" : valeurs possibles {valid}"));
            }
            t
        }
        ErrorKind::ValueValidation => {
            let why = std::error::Error::source(e)
                .map(ToString::to_string)
                .unwrap_or_else(|| "valeur refusée".into());
            format!("valeur « {value} » invalide pour {arg} : {why}")
        }
        ErrorKind::UnknownArgument => format!("option « {arg} » inconnue"),
        ErrorKind::InvalidSubcommand => format!(
            "commande « {} » inconnue",
            context(e, ContextKind::InvalidSubcommand).unwrap_or_default()
        ),
        ErrorKind::MissingRequiredArgument => {
            format!("argument obligatoire manquant : {arg}")
        }
        ErrorKind::MissingSubcommand => "commande manquante".into(),
        ErrorKind::NoEquals => format!("{arg} s’écrit avec « = » suivi de sa valeur"),
        ErrorKind::TooManyValues => format!("valeur « {value} » en trop"),
        ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues => {
            format!("nombre de valeurs incorrect pour {arg}")
        }
        ErrorKind::ArgumentConflict => match context(e, ContextKind::PriorArg) {
            Some(prior) => format!("{arg} ne peut pas être donné avec {prior}"),
            None => format!("{arg} ne peut être donné qu’une fois"),
        },
        ErrorKind::InvalidUtf8 => "la ligne de commande doit être en UTF-8".into(),
        _ => "ligne de commande invalide".into(),
    };
    for kind in [
        ContextKind::SuggestedArg,
        ContextKind::SuggestedSubcommand,
        ContextKind::SuggestedValue,
    ] {
        if let Some(s) = context(e, kind) {
            text.push_str(&format!(" (vouliez-vous dire « {s} » ?)"));
            break;
        }
    }
    text
}

/// A calendar date `AAAA-MM-JJ`.
pub fn date(text: &str) -> Result<jiff::civil::Date, String> {
    msp_domain::dates::parse_iso(text.trim())
        .ok_or_else(|| "date au format AAAA-MM-JJ attendue (ex. 2026-12-01)".to_owned())
}

/// An address and port to listen on, `IP:PORT`.
pub fn socket_addr(text: &str) -> Result<std::net::SocketAddr, String> {
    text.trim().parse().map_err(|_| {
        "adresse IP et port attendus (ex. 127.0.0.1:8080, ou 0.0.0.0:8080 pour toutes les interfaces)"
            .to_owned()
    })
}

/// A non-negative integer.
pub fn integer<T: std::str::FromStr>(text: &str) -> Result<T, String> {
    text.trim()
        .replace(['_', '\u{a0}', '\u{202f}'], "")
        .parse()
        .map_err(|_| "nombre entier positif attendu".to_owned())
}

/// A calendar year of the programme or later (`2022`…`2100`).
pub fn year(text: &str) -> Result<i16, String> {
    match text.trim().parse::<i16>() {
        Ok(y) if (2022..=2100).contains(&y) => Ok(y),
        _ => Err("année sur 4 chiffres attendue, de 2022 (début du dispositif) à 2100".to_owned()),
    }
}
