-- Keyword search of the staff workbench (issue #6): every whitespace-separated term must occur in
-- `search_text` (LIKE '%term%', which no b-tree can serve). Chinese has no word boundaries, and
-- pg_trgm ignores CJK characters under the C locale PGlite runs with, so the text is indexed by
-- its own character n-grams, with built-in SQL only (both engines, no extension):
--   gz_grams(text)      — every character (lower-cased) and every pair of neighbouring characters,
--                         whitespace left out; duplicates are kept (GIN drops them).
--   gz_term_grams(term) — the pairs of a search term, or its one character when it has only one.
-- A term that occurs in a text has all its pairs (or its character) among the text's grams, so
-- `gz_grams(search_text) @> gz_term_grams(term)` is a superset test the GIN index below answers;
-- the LIKE stays as the exact check. (Which characters count as whitespace, and how lower() maps
-- them, does not matter for that: both sides go through the same function on the same database.)
-- An expression index rather than a stored column: the grams of a case are ~900 bytes, which a
-- stored column would add to every row (~0.85 GB at a million cases). At a million cases building
-- the index takes ~12 minutes on two busy cores (docs/PERFORMANCE.md, Workbench).
create function gz_grams(t text) returns text[]
language plpgsql immutable strict parallel safe as $$
declare
  chars text[] := string_to_array(lower(t), null);
  grams text[] := '{}';
  k int := 0;
  prev text;
  c text;
begin
  for i in 1 .. coalesce(cardinality(chars), 0) loop
    c := chars[i];
    if ascii(c) <= 32 or c = '　' then
      prev := null;
    else
      k := k + 1;
      grams[k] := c;
      if prev is not null then
        k := k + 1;
        grams[k] := prev || c;
      end if;
      prev := c;
    end if;
  end loop;
  return grams;
end
$$;

create function gz_term_grams(term text) returns text[]
language sql immutable strict parallel safe as $$
  select coalesce(array_agg(distinct g) filter (where length(g) = 2), array_agg(distinct g), '{}')
  from unnest(gz_grams(term)) g
$$;

create index cases_search_grams_idx on cases using gin (gz_grams(search_text));

-- The workbench's other filters at a million cases: a category (group code = prefix) narrows the
-- gram index's cases without reading them (BitmapAnd), and the overdue / due-soon queues find their
-- few late deadlines without scanning every deadline ever set.
create index cases_category_idx on cases (county_code, category_id text_pattern_ops);
create index case_deadlines_late_idx on case_deadlines (case_id) where status in ('warned', 'overdue');

-- Statistics of the new expression, so that the planner can tell a rare term from a common one.
analyze cases;
