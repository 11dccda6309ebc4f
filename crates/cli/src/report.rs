//! How a failed command is reported: one clear `error:` line per problem.

use portfolio_app::AppError;
use portfolio_domain::ValidationErrors;

/// Prints the error to stderr. Validation errors list each field and why
/// it was refused; other errors print their chain of causes on one line.
pub fn print(error: &anyhow::Error) {
    for line in lines(error) {
        eprintln!("{line}");
    }
}

/// The lines [`print()`] writes.
pub fn lines(error: &anyhow::Error) -> Vec<String> {
    if let Some(errors) = validation(error) {
        return errors
            .0
            .iter()
            .map(|e| format!("error: {}: {}", e.field, e.message))
            .collect();
    }
    let causes: Vec<String> = error
        .chain()
        .filter(|cause| {
            !matches!(
                cause.downcast_ref::<AppError>(),
                Some(AppError::Internal(_))
            )
        })
        .map(|cause| cause.to_string())
        .collect();
    let mut lines = vec![format!("error: {}", dedup(causes).join(": "))];
    if let Some(hint) = hint(error) {
        lines.push(format!("hint: {hint}"));
    }
    lines
}

/// Whether the command failed only because stdout was closed (`| head`).
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn validation(error: &anyhow::Error) -> Option<&ValidationErrors> {
    error.chain().find_map(|cause| {
        if let Some(AppError::Validation(errors)) = cause.downcast_ref::<AppError>() {
            Some(errors)
        } else {
            cause.downcast_ref::<ValidationErrors>()
        }
    })
}

fn hint(error: &anyhow::Error) -> Option<&'static str> {
    error
        .chain()
        .find_map(|cause| match cause.downcast_ref::<AppError>() {
            Some(AppError::NotFound("organisation")) => {
                Some("list the organisations with `portfolio organisation list`")
            }
            Some(AppError::NotFound("user")) => {
                Some("list an organisation's users with `portfolio user list --org SLUG`")
            }
            _ => None,
        })
}

/// Drops a cause that repeats the message before it (a wrapper's `{0}`).
fn dedup(causes: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for cause in causes {
        if out.last().is_some_and(|last| last.ends_with(&cause)) {
            continue;
        }
        out.push(cause);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn validation_errors_name_each_field() {
        let mut errors = ValidationErrors::single("email", "enter an email address");
        errors.push("name", "enter a name");
        let error = anyhow::Error::from(AppError::Validation(errors));
        assert_eq!(
            lines(&error),
            [
                "error: email: enter an email address",
                "error: name: enter a name"
            ]
        );
    }

    #[test]
    fn other_errors_show_their_causes_and_a_hint() {
        let error = Err::<(), _>(AppError::NotFound("organisation"))
            .context("could not list users")
            .unwrap_err();
        assert_eq!(
            lines(&error),
            [
                "error: could not list users: organisation not found",
                "hint: list the organisations with `portfolio organisation list`"
            ]
        );
    }
}
