//! The whole role × action matrix of `authorize`, with own, foreign and
//! assigned resources.

// Tests and tools may unwrap, index and print: a panic here is a failed run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs
)]

use jcstar_registry::*;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Res {
    /// Registry-wide (no owner).
    None,
    /// Owned by the actor's organisation.
    Own,
    /// Owned by another organisation.
    Foreign,
    /// Owned by another organisation, assigned to the actor as evaluation body.
    Assigned,
}

/// What the rules say, written out independently of the implementation.
fn expected(role: Role, action: Action, res: Res) -> bool {
    use Action::*;
    if action == ReadPublic {
        return true;
    }
    match role {
        Role::Public => false,
        Role::Operator => true,
        Role::Vendor => {
            matches!(
                action,
                SubmitApplication
                    | ReadApplication
                    | ExtendLabel
                    | WithdrawLabel
                    | EditSecurityInfo
            ) && res == Res::Own
        }
        Role::EvaluationBody => {
            matches!(action, ReadApplication | AttachEvaluationReport) && res == Res::Assigned
        }
    }
}

#[test]
fn role_action_matrix() {
    let mut checked = 0;
    for role in Role::ALL {
        let org = if role == Role::Public { "" } else { "me" };
        let actor = Actor::local(role, org, "matrix");
        for action in Action::ALL {
            for res in [Res::None, Res::Own, Res::Foreign, Res::Assigned] {
                let resource = match res {
                    Res::None => Resource::none(),
                    Res::Own => Resource::owned_by("me"),
                    Res::Foreign => Resource::owned_by("them"),
                    Res::Assigned => Resource {
                        org: Some("them"),
                        evaluation_body: Some("me"),
                    },
                };
                let got = authorize(&actor, action, resource);
                assert_eq!(
                    got.is_ok(),
                    expected(role, action, res),
                    "{role} {action:?} on {res:?}: {got:?}"
                );
                if let Err(d) = got {
                    assert_eq!(d.role, role);
                    assert_eq!(d.action, action);
                    assert!(!d.reason.is_empty());
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 4 * 16 * 4);
}

/// A public actor with an empty organisation never matches an unowned or
/// empty-owner resource.
#[test]
fn empty_org_owns_nothing() {
    let vendor = Actor::local(Role::Vendor, "", "x");
    assert!(authorize(&vendor, Action::WithdrawLabel, Resource::owned_by("")).is_err());
    let body = Actor::local(Role::EvaluationBody, "", "x");
    let r = Resource {
        org: Some("a"),
        evaluation_body: Some(""),
    };
    assert!(authorize(&body, Action::AttachEvaluationReport, r).is_err());
}
