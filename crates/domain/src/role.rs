//! Roles and the permissions they grant, defined in one place.
//!
//! The application services ask `role.allows(permission)` before every read
//! and write; pages only hide what a role cannot do. Later roles (project
//! manager, board member) slot in here.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including users, tokens and organisation settings.
    Admin,
    /// The programme office: reads the programme, adds and edits projects,
    /// and triages the priorities departments submit.
    Editor,
    /// A department's digital lead: reads the programme and submits the
    /// department's new or changed priorities, but does not edit projects.
    DepartmentLead,
    /// Reads the programme.
    Viewer,
}

/// Something a user may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    ReadProgramme,
    EditProjects,
    /// Submit a new or changed priority for the programme office to triage.
    SubmitPriorities,
    /// See every submitted priority and accept, link or decline it.
    TriagePriorities,
    /// Keep the scoring model, assessments, resource pools, budgets,
    /// project plans and scenarios, and run optimisations.
    ManagePrioritisation,
    /// Request a project's next stage gate, with its evidence, and keep
    /// board meetings (agendas, attendees, actions).
    RequestGates,
    /// Decide gate requests and record board decisions. Administrators hold
    /// it until a board-member role exists (issue 7); an administrator may
    /// also move a project's stage without a gate, recorded as an override.
    DecideGates,
    ManageUsers,
    ManageOrganisation,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Admin,
        Role::Editor,
        Role::DepartmentLead,
        Role::Viewer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::DepartmentLead => "department_lead",
            Role::Viewer => "viewer",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Administrator",
            Role::Editor => "Editor",
            Role::DepartmentLead => "Department lead",
            Role::Viewer => "Viewer",
        }
    }

    pub fn parse(s: &str) -> Result<Role, String> {
        let norm = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == norm)
            .ok_or_else(|| {
                format!(
                    "'{}' is not a role; use admin, editor, department_lead or viewer",
                    s.trim()
                )
            })
    }

    pub fn allows(self, permission: Permission) -> bool {
        match permission {
            Permission::ReadProgramme => true,
            Permission::EditProjects
            | Permission::TriagePriorities
            | Permission::ManagePrioritisation
            | Permission::RequestGates => {
                matches!(self, Role::Admin | Role::Editor)
            }
            Permission::SubmitPriorities => {
                matches!(self, Role::Admin | Role::Editor | Role::DepartmentLead)
            }
            Permission::DecideGates | Permission::ManageUsers | Permission::ManageOrganisation => {
                self == Role::Admin
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viewers_read_editors_edit_admins_administer() {
        assert!(Role::Viewer.allows(Permission::ReadProgramme));
        assert!(!Role::Viewer.allows(Permission::EditProjects));
        assert!(Role::Editor.allows(Permission::EditProjects));
        assert!(!Role::Editor.allows(Permission::ManageUsers));
        assert!(Role::Admin.allows(Permission::ManageUsers));
    }

    #[test]
    fn department_leads_submit_and_the_programme_office_triages() {
        let lead = Role::DepartmentLead;
        assert!(lead.allows(Permission::ReadProgramme));
        assert!(lead.allows(Permission::SubmitPriorities));
        assert!(!lead.allows(Permission::TriagePriorities));
        assert!(!lead.allows(Permission::EditProjects));
        assert!(!lead.allows(Permission::ManageUsers));
        for office in [Role::Editor, Role::Admin] {
            assert!(office.allows(Permission::SubmitPriorities), "{office:?}");
            assert!(office.allows(Permission::TriagePriorities), "{office:?}");
        }
        assert!(!Role::Viewer.allows(Permission::SubmitPriorities));
        assert!(!Role::Viewer.allows(Permission::TriagePriorities));
    }

    #[test]
    fn the_programme_office_requests_gates_and_administrators_decide_them() {
        assert!(Role::Editor.allows(Permission::RequestGates));
        assert!(!Role::Editor.allows(Permission::DecideGates));
        assert!(Role::Admin.allows(Permission::DecideGates));
        assert!(!Role::DepartmentLead.allows(Permission::RequestGates));
        assert!(!Role::Viewer.allows(Permission::DecideGates));
    }

    #[test]
    fn roles_parse_by_name() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
        }
        assert_eq!(Role::parse("Department lead"), Ok(Role::DepartmentLead));
        assert_eq!(Role::parse("department-lead"), Ok(Role::DepartmentLead));
        let refusal = Role::parse("boss").unwrap_err();
        assert!(refusal.contains("department_lead"), "{refusal}");
    }
}
