-- The public board of resolved appeals (newest first), for the whole county and for one village.
create index cases_board_idx on cases (county_code, closed_at desc, id)
  where state = 'closed' and type = 'appeal' and confidential = false;
create index cases_board_village_idx on cases (village_id, closed_at desc, id)
  where state = 'closed' and type = 'appeal' and confidential = false;
