//! Roles, the permissions they grant and the scope they hold, defined in one place.
//!
//! The application services ask before every read and write: either
//! [`Role::allows`] for something done across the organisation, or
//! [`can_on_project`] (and [`can_edit_project`], [`can_request_gate`]) for
//! something done to one project, which also lets a department lead or a
//! project manager act within their scope. Pages only hide what a caller
//! cannot do; the services refuse it.

use serde::{Deserialize, Serialize};

use crate::organisation::User;
use crate::project::Project;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including users, tokens and organisation settings.
    #[serde(rename = "admin", alias = "administrator")]
    Administrator,
    /// The programme office runs the programme: adds and edits every project,
    /// triages the priorities departments submit, keeps prioritisation and
    /// board meetings, and requests gates. Stored as `editor` before the
    /// role had its own name; both names are read.
    #[serde(rename = "programme_office", alias = "editor")]
    ProgrammeOffice,
    /// A department's digital lead: edits the projects of their departments
    /// (with their RAID, highlight reports and gate requests), submits
    /// priorities, and reads the rest of the programme.
    DepartmentLead,
    /// Runs named projects: edits them, requests their gates, writes their
    /// highlight reports and keeps their RAID; reads the rest.
    ProjectManager,
    /// Sits on the programme board: decides gate requests and records board
    /// decisions; reads the programme.
    BoardMember,
    /// Reads the programme.
    Viewer,
}

/// Something a user may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    ReadProgramme,
    /// Add and edit projects, with their RAID items and highlight reports.
    /// Held across the organisation by the programme office; a department
    /// lead or project manager holds it for the projects in their scope.
    EditProjects,
    /// Submit a new or changed priority for the programme office to triage.
    SubmitPriorities,
    /// See every submitted priority and accept, link or decline it.
    TriagePriorities,
    /// Keep the scoring model, assessments, resource pools, budgets,
    /// project plans and scenarios, and run optimisations.
    ManagePrioritisation,
    /// Request a project's next stage gate, with its evidence, and keep
    /// board meetings (agendas, attendees, actions). A department lead or
    /// project manager requests gates for the projects in their scope only.
    RequestGates,
    /// Decide gate requests and record board decisions: board members and
    /// administrators; an administrator may also move a project's stage
    /// without a gate, recorded as an override.
    DecideGates,
    ManageUsers,
    ManageOrganisation,
}

/// The departments and projects a department lead or project manager acts
/// on. Other roles keep it empty; it is ignored for them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Scope {
    /// Department ids (a department lead's).
    #[serde(default)]
    pub departments: Vec<i64>,
    /// Project ids (a project manager's).
    #[serde(default)]
    pub projects: Vec<i64>,
}

impl Scope {
    pub fn is_empty(&self) -> bool {
        self.departments.is_empty() && self.projects.is_empty()
    }
}

/// A project as a scope check sees it: its id and its department's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProjectKey {
    pub id: i64,
    pub department_id: i64,
}

impl From<&Project> for ProjectKey {
    fn from(p: &Project) -> ProjectKey {
        ProjectKey {
            id: p.id,
            department_id: p.department.id,
        }
    }
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Administrator,
        Role::ProgrammeOffice,
        Role::DepartmentLead,
        Role::ProjectManager,
        Role::BoardMember,
        Role::Viewer,
    ];

    /// The stored and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Administrator => "admin",
            Role::ProgrammeOffice => "programme_office",
            Role::DepartmentLead => "department_lead",
            Role::ProjectManager => "project_manager",
            Role::BoardMember => "board_member",
            Role::Viewer => "viewer",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Administrator => "Administrator",
            Role::ProgrammeOffice => "Programme office",
            Role::DepartmentLead => "Department lead",
            Role::ProjectManager => "Project manager",
            Role::BoardMember => "Board member",
            Role::Viewer => "Viewer",
        }
    }

    /// Reads a role by its name or label; `editor` (the programme office's
    /// earlier name) and `administrator` are read too.
    pub fn parse(s: &str) -> Result<Role, String> {
        let norm = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        match norm.as_str() {
            "editor" => return Ok(Role::ProgrammeOffice),
            "administrator" => return Ok(Role::Administrator),
            _ => {}
        }
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == norm)
            .ok_or_else(|| {
                format!(
                    "'{}' is not a role; use admin, programme_office (or editor), department_lead, \
                     project_manager, board_member or viewer",
                    s.trim()
                )
            })
    }

    /// Whether the role holds the permission across the whole organisation.
    pub fn allows(self, permission: Permission) -> bool {
        use Role::*;
        match permission {
            Permission::ReadProgramme => true,
            Permission::EditProjects
            | Permission::TriagePriorities
            | Permission::ManagePrioritisation
            | Permission::RequestGates => matches!(self, Administrator | ProgrammeOffice),
            Permission::SubmitPriorities => {
                matches!(self, Administrator | ProgrammeOffice | DepartmentLead)
            }
            Permission::DecideGates => matches!(self, Administrator | BoardMember),
            Permission::ManageUsers | Permission::ManageOrganisation => self == Administrator,
        }
    }

    /// Whether the role holds the permission for the projects in its scope
    /// (as well as any it holds everywhere).
    pub fn allows_in_scope(self, permission: Permission) -> bool {
        self.allows(permission)
            || (matches!(self, Role::DepartmentLead | Role::ProjectManager)
                && matches!(
                    permission,
                    Permission::EditProjects | Permission::RequestGates
                ))
    }

    /// Whether the role is narrowed to a scope of departments or projects.
    pub fn is_scoped(self) -> bool {
        matches!(self, Role::DepartmentLead | Role::ProjectManager)
    }
}

/// Whether the project lies in the user's scope: a department lead's
/// departments, a project manager's projects. Nothing is in the scope of
/// any other role (they act organisation-wide or not at all).
pub fn in_scope(user: &User, project: ProjectKey) -> bool {
    match user.role {
        Role::DepartmentLead => user.scope.departments.contains(&project.department_id),
        Role::ProjectManager => user.scope.projects.contains(&project.id),
        _ => false,
    }
}

/// Whether the user may do this to this project: their role allows it
/// everywhere, or allows it in their scope and the project is in it.
pub fn can_on_project(user: &User, permission: Permission, project: ProjectKey) -> bool {
    user.role.allows(permission)
        || (user.role.allows_in_scope(permission) && in_scope(user, project))
}

/// Whether the user may edit the project, its RAID items and highlight reports.
pub fn can_edit_project(user: &User, project: &Project) -> bool {
    can_on_project(user, Permission::EditProjects, project.into())
}

/// Whether the user may request the project's next gate.
pub fn can_request_gate(user: &User, project: &Project) -> bool {
    can_on_project(user, Permission::RequestGates, project.into())
}

/// What a refusal names as needed, for a clear 403.
pub fn needed(permission: Permission) -> &'static str {
    match permission {
        Permission::ReadProgramme => "a role that reads the programme",
        Permission::EditProjects => {
            "the programme office or administrator role, or a department lead or project manager \
             scope covering the project"
        }
        Permission::SubmitPriorities => {
            "the department lead, programme office or administrator role"
        }
        Permission::TriagePriorities | Permission::ManagePrioritisation => {
            "the programme office or administrator role"
        }
        Permission::RequestGates => {
            "the programme office or administrator role, or a department lead or project manager \
             scope covering the project"
        }
        Permission::DecideGates => "the board member or administrator role",
        Permission::ManageUsers | Permission::ManageOrganisation => "the administrator role",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role, departments: &[i64], projects: &[i64]) -> User {
        User {
            id: 7,
            organisation_id: 1,
            email: "u@example.org".into(),
            name: "U".into(),
            role,
            disabled: false,
            scope: Scope {
                departments: departments.to_vec(),
                projects: projects.to_vec(),
            },
        }
    }

    const OWN: ProjectKey = ProjectKey {
        id: 10,
        department_id: 1,
    };
    const OTHER: ProjectKey = ProjectKey {
        id: 20,
        department_id: 2,
    };

    #[test]
    fn viewers_read_the_programme_office_edits_admins_administer() {
        assert!(Role::Viewer.allows(Permission::ReadProgramme));
        assert!(!Role::Viewer.allows(Permission::EditProjects));
        assert!(Role::ProgrammeOffice.allows(Permission::EditProjects));
        assert!(!Role::ProgrammeOffice.allows(Permission::ManageUsers));
        assert!(Role::Administrator.allows(Permission::ManageUsers));
    }

    #[test]
    fn department_leads_submit_and_the_programme_office_triages() {
        let lead = Role::DepartmentLead;
        assert!(lead.allows(Permission::ReadProgramme));
        assert!(lead.allows(Permission::SubmitPriorities));
        assert!(!lead.allows(Permission::TriagePriorities));
        assert!(
            !lead.allows(Permission::EditProjects),
            "not organisation-wide"
        );
        assert!(!lead.allows(Permission::ManageUsers));
        for office in [Role::ProgrammeOffice, Role::Administrator] {
            assert!(office.allows(Permission::SubmitPriorities), "{office:?}");
            assert!(office.allows(Permission::TriagePriorities), "{office:?}");
        }
        assert!(!Role::Viewer.allows(Permission::SubmitPriorities));
        assert!(!Role::Viewer.allows(Permission::TriagePriorities));
        assert!(!Role::ProjectManager.allows(Permission::SubmitPriorities));
    }

    #[test]
    fn the_programme_office_requests_gates_and_the_board_decides_them() {
        assert!(Role::ProgrammeOffice.allows(Permission::RequestGates));
        assert!(!Role::ProgrammeOffice.allows(Permission::DecideGates));
        assert!(Role::Administrator.allows(Permission::DecideGates));
        assert!(Role::BoardMember.allows(Permission::DecideGates));
        assert!(!Role::BoardMember.allows(Permission::RequestGates));
        assert!(!Role::BoardMember.allows(Permission::EditProjects));
        assert!(!Role::DepartmentLead.allows(Permission::RequestGates));
        assert!(!Role::DepartmentLead.allows(Permission::DecideGates));
        assert!(!Role::ProjectManager.allows(Permission::DecideGates));
        assert!(!Role::Viewer.allows(Permission::DecideGates));
    }

    #[test]
    fn a_department_lead_edits_their_departments_projects_and_reads_the_rest() {
        let lead = user(Role::DepartmentLead, &[1], &[]);
        assert!(can_on_project(&lead, Permission::EditProjects, OWN));
        assert!(can_on_project(&lead, Permission::RequestGates, OWN));
        assert!(!can_on_project(&lead, Permission::EditProjects, OTHER));
        assert!(!can_on_project(&lead, Permission::RequestGates, OTHER));
        assert!(can_on_project(&lead, Permission::ReadProgramme, OTHER));
        assert!(!can_on_project(&lead, Permission::DecideGates, OWN));
        assert!(!can_on_project(
            &lead,
            Permission::ManagePrioritisation,
            OWN
        ));
        // A project id in a lead's scope means nothing: leads are scoped by department.
        let odd = user(Role::DepartmentLead, &[], &[20]);
        assert!(!can_on_project(&odd, Permission::EditProjects, OTHER));
    }

    #[test]
    fn a_project_manager_edits_only_their_projects() {
        let pm = user(Role::ProjectManager, &[], &[10]);
        assert!(can_on_project(&pm, Permission::EditProjects, OWN));
        assert!(can_on_project(&pm, Permission::RequestGates, OWN));
        assert!(!can_on_project(&pm, Permission::EditProjects, OTHER));
        assert!(!can_on_project(&pm, Permission::SubmitPriorities, OWN));
        let by_department = user(Role::ProjectManager, &[1], &[]);
        assert!(!can_on_project(
            &by_department,
            Permission::EditProjects,
            OWN
        ));
    }

    #[test]
    fn a_scope_widens_nothing_for_roles_without_one() {
        for role in [Role::BoardMember, Role::Viewer] {
            let u = user(role, &[1], &[10]);
            assert!(
                !can_on_project(&u, Permission::EditProjects, OWN),
                "{role:?}"
            );
            assert!(
                !can_on_project(&u, Permission::RequestGates, OWN),
                "{role:?}"
            );
        }
        let office = user(Role::ProgrammeOffice, &[], &[]);
        assert!(can_on_project(&office, Permission::EditProjects, OTHER));
        assert!(Role::DepartmentLead.is_scoped() && Role::ProjectManager.is_scoped());
        assert!(!Role::ProgrammeOffice.is_scoped());
    }

    #[test]
    fn roles_parse_by_name_and_editor_reads_as_the_programme_office() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
            assert_eq!(Role::parse(role.label()), Ok(role));
        }
        assert_eq!(Role::parse("editor"), Ok(Role::ProgrammeOffice));
        assert_eq!(Role::parse("Editor"), Ok(Role::ProgrammeOffice));
        assert_eq!(Role::parse("Department lead"), Ok(Role::DepartmentLead));
        assert_eq!(Role::parse("department-lead"), Ok(Role::DepartmentLead));
        assert_eq!(Role::ProgrammeOffice.label(), "Programme office");
        let refusal = Role::parse("boss").unwrap_err();
        for name in [
            "admin",
            "editor",
            "department_lead",
            "project_manager",
            "board_member",
        ] {
            assert!(refusal.contains(name), "{refusal}");
        }
        let stored: Role = serde_json::from_str("\"editor\"").unwrap();
        assert_eq!(stored, Role::ProgrammeOffice);
        assert_eq!(
            serde_json::to_string(&Role::Administrator).unwrap(),
            "\"admin\""
        );
    }
}
