-- Board meetings: dated meetings of a governing body (programme_board,
-- cabinet, senior_leadership_team) with their attendees, agenda items,
-- the decisions taken on them and the actions that follow. A decision on a
-- gate request's item is also the gate request's decision (gate_requests.
-- meeting_id names the meeting).
CREATE TABLE board_meetings (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    body TEXT NOT NULL,
    title TEXT NOT NULL,
    -- YYYY-MM-DD
    meets_on TEXT NOT NULL,
    location TEXT NOT NULL,
    -- [{"user_id": 3, "name": "..."}, {"user_id": null, "name": "Cllr ..."}]
    attendees TEXT NOT NULL,
    created_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX board_meetings_org_date ON board_meetings(organisation_id, meets_on);

CREATE TABLE agenda_items (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    meeting_id INTEGER NOT NULL REFERENCES board_meetings(id),
    position INTEGER NOT NULL,
    -- gate_request, escalated_risk, project_confidence, other
    kind TEXT NOT NULL,
    -- the gate request, risk or project the item is about
    ref_id INTEGER,
    project_code TEXT,
    title TEXT NOT NULL,
    detail TEXT NOT NULL,
    by_hand INTEGER NOT NULL,
    UNIQUE (meeting_id, position)
);
CREATE INDEX agenda_items_meeting ON agenda_items(meeting_id);
-- A gate request, risk or project is on a meeting's agenda once.
CREATE UNIQUE INDEX agenda_items_once ON agenda_items(meeting_id, kind, ref_id) WHERE ref_id IS NOT NULL;

CREATE TABLE board_decisions (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    meeting_id INTEGER NOT NULL REFERENCES board_meetings(id),
    agenda_item_id INTEGER NOT NULL REFERENCES agenda_items(id),
    text TEXT NOT NULL,
    -- the gate's outcome, for a gate request's item
    outcome TEXT,
    gate_request_id INTEGER REFERENCES gate_requests(id),
    decided_by_user_id INTEGER REFERENCES users(id),
    decided_by_label TEXT NOT NULL,
    decided_at TEXT NOT NULL
);
CREATE INDEX board_decisions_org ON board_decisions(organisation_id, meeting_id);

CREATE TABLE board_actions (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations(id),
    meeting_id INTEGER NOT NULL REFERENCES board_meetings(id),
    agenda_item_id INTEGER REFERENCES agenda_items(id),
    description TEXT NOT NULL,
    owner_user_id INTEGER NOT NULL REFERENCES users(id),
    -- YYYY-MM-DD
    due_on TEXT NOT NULL,
    -- not_started, in_progress, done
    status TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX board_actions_org ON board_actions(organisation_id, meeting_id);
