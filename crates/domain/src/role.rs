//! Roles and the permissions they grant, defined in one place.
//!
//! The application services ask `role.allows(permission)` before every read
//! and write; pages only hide what a role cannot do. Later roles (department
//! lead, project manager, board member, programme office) slot in here.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including users, tokens and organisation settings.
    Admin,
    /// Reads the programme and adds and edits projects.
    Editor,
    /// Reads the programme.
    Viewer,
}

/// Something a user may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    ReadProgramme,
    EditProjects,
    ManageUsers,
    ManageOrganisation,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Editor, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Viewer => "viewer",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Administrator",
            Role::Editor => "Editor",
            Role::Viewer => "Viewer",
        }
    }

    pub fn parse(s: &str) -> Result<Role, String> {
        let norm = s.trim().to_ascii_lowercase();
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == norm)
            .ok_or_else(|| format!("'{}' is not a role; use admin, editor or viewer", s.trim()))
    }

    pub fn allows(self, permission: Permission) -> bool {
        match permission {
            Permission::ReadProgramme => true,
            Permission::EditProjects => matches!(self, Role::Admin | Role::Editor),
            Permission::ManageUsers | Permission::ManageOrganisation => self == Role::Admin,
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
}
