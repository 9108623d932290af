import { Anchor, Button, Card, Checkbox, Group, Paper, ScrollArea, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useEffect, useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useQuery } from 'urql';
import { FileFacetsQuery, FilesQuery } from '../api/operations';
import type { FileFilter } from '../gql/graphql';
import { AccessBadges, ClassificationBadge, ErrorNote, Loading } from '../components/common';

const PAGE_SIZE = 20;

type FacetKey = 'districtCodes' | 'ownerDepartmentCodes' | 'classifications' | 'categories' | 'tags';
const FACETS: {
  key: FacetKey;
  param: string;
  title: string;
  result: 'districts' | 'owners' | 'classifications' | 'categories' | 'tags';
}[] = [
  { key: 'districtCodes', param: 'district', title: 'District', result: 'districts' },
  { key: 'ownerDepartmentCodes', param: 'owner', title: 'Owner', result: 'owners' },
  { key: 'classifications', param: 'classification', title: 'Classification', result: 'classifications' },
  { key: 'categories', param: 'category', title: 'Category', result: 'categories' },
  { key: 'tags', param: 'tag', title: 'Tags', result: 'tags' },
];

/** The filter lives in the address, so a search can be bookmarked and shared. */
function useFilter(): [FileFilter, (facet: string, values: string[]) => void, string, (q: string) => void] {
  const [params, setParams] = useSearchParams();
  const search = params.get('q') ?? '';
  const filter = useMemo(() => {
    const f: FileFilter = {};
    if (search.trim()) f.search = search.trim();
    for (const facet of FACETS) {
      const values = params.getAll(facet.param);
      if (values.length) (f as Record<string, string[]>)[facet.key] = values;
    }
    return f;
  }, [params, search]);
  const setFacet = (param: string, values: string[]) =>
    setParams((p) => {
      p.delete(param);
      values.forEach((v) => p.append(param, v));
      return p;
    });
  const setSearch = (q: string) =>
    setParams(
      (p) => {
        if (q) p.set('q', q);
        else p.delete('q');
        return p;
      },
      { replace: true },
    );
  return [filter, setFacet, search, setSearch];
}

function FacetGroup({
  title,
  param,
  counts,
  selected,
  onChange,
}: {
  title: string;
  param: string;
  counts: { value: string; label?: string | null; count: number }[];
  selected: string[];
  onChange: (param: string, values: string[]) => void;
}) {
  const [showAll, setShowAll] = useState(false);
  const shown = showAll ? counts : counts.slice(0, 6);
  // A selected value with no files under the other filters still shows, so it can be unticked.
  const missing = selected.filter((s) => !counts.some((c) => c.value === s)).map((value) => ({ value, label: null, count: 0 }));
  return (
    <Checkbox.Group label={title} value={selected} onChange={(values) => onChange(param, values)}>
      <Stack gap={4} mt={6}>
        {[...shown, ...missing].map((c) => (
          <Checkbox
            key={c.value}
            value={c.value}
            size="xs"
            label={
              <Group gap={6} wrap="nowrap" justify="space-between">
                <Text size="xs" lineClamp={1}>
                  {c.label ?? c.value.toLowerCase()}
                </Text>
                <Text size="xs" c="dimmed">
                  {c.count.toLocaleString()}
                </Text>
              </Group>
            }
          />
        ))}
        {counts.length > 6 && (
          <Anchor component="button" type="button" size="xs" onClick={() => setShowAll(!showAll)}>
            {showAll ? 'fewer' : `all ${counts.length}`}
          </Anchor>
        )}
        {counts.length === 0 && missing.length === 0 && (
          <Text size="xs" c="dimmed">
            none
          </Text>
        )}
      </Stack>
    </Checkbox.Group>
  );
}

export function DirectoryPage() {
  const [filter, setFacet, search, setSearch] = useFilter();
  const [typed, setTyped] = useState(search);
  const [debounced] = useDebouncedValue(typed, 300);
  useEffect(() => {
    if (debounced !== search) setSearch(debounced);
    // Only the typed text drives this; the address may change by navigation too.
  }, [debounced]);

  // Cursor paging: the cursors of the pages before this one, to step back.
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const filterKey = JSON.stringify(filter);
  useEffect(() => setCursors([null]), [filterKey]);
  const after = cursors[cursors.length - 1];

  const [files] = useQuery({ query: FilesQuery, variables: { filter, first: PAGE_SIZE, after } });
  const [facets] = useQuery({ query: FileFacetsQuery, variables: { filter } });
  const connection = files.data?.files;
  const facetData = facets.data?.fileFacets;

  return (
    <Stack>
      <Title order={2}>Directory</Title>
      <form role="search" onSubmit={(e) => (e.preventDefault(), setSearch(typed))}>
        <TextInput
          label="Search the directory"
          description="Full text over titles, descriptions, tags and field names"
          placeholder="e.g. vaccination records"
          value={typed}
          onChange={(e) => setTyped(e.currentTarget.value)}
          size="md"
        />
      </form>
      <SimpleGrid cols={{ base: 1, md: 4 }} spacing="md">
        <Paper withBorder p="sm" component="aside" aria-label="Facets">
          <ScrollArea.Autosize mah={640}>
            <Stack gap="md">
              {facets.fetching && !facetData && <Loading label="Counting" />}
              {facetData &&
                FACETS.map((f) => (
                  <FacetGroup
                    key={f.key}
                    title={f.title}
                    param={f.param}
                    counts={facetData[f.result]}
                    selected={filter[f.key] ?? []}
                    onChange={setFacet}
                  />
                ))}
              <ErrorNote error={facets.error} />
            </Stack>
          </ScrollArea.Autosize>
        </Paper>
        <Stack style={{ gridColumn: 'span 3' }} gap="sm">
          <Group justify="space-between">
            <Text fw={600} aria-live="polite" data-testid="total">
              {connection ? `${connection.totalCount.toLocaleString()} ${connection.totalCount === 1 ? 'file' : 'files'}` : ' '}
            </Text>
          </Group>
          <ErrorNote error={files.error} />
          {files.fetching && !connection && <Loading label="Searching" />}
          {connection?.edges.map(({ node }) => (
            <Card key={node.id} withBorder padding="sm" component="article">
              <Group justify="space-between" align="flex-start" wrap="nowrap">
                <Stack gap={2}>
                  <Anchor component={Link} to={`/files/${node.id}`} fw={600}>
                    {node.title}
                  </Anchor>
                  <Text size="xs" c="dimmed">
                    {node.owner.name} · {node.district.name} · {node.category} · v{node.version}
                  </Text>
                  {node.tags.length > 0 && (
                    <Text size="xs" c="dimmed">
                      {node.tags.map((t) => `#${t}`).join(' ')}
                    </Text>
                  )}
                </Stack>
                <Stack gap={4} align="flex-end">
                  <ClassificationBadge value={node.classification} />
                  <AccessBadges actions={node.myAccess} />
                </Stack>
              </Group>
            </Card>
          ))}
          {connection && connection.edges.length === 0 && <Text c="dimmed">No file matches what you may discover.</Text>}
          <Group justify="space-between">
            <Button variant="default" disabled={cursors.length < 2} onClick={() => setCursors(cursors.slice(0, -1))}>
              Previous page
            </Button>
            <Text size="sm" c="dimmed">
              page {cursors.length}
            </Text>
            <Button
              variant="default"
              disabled={!connection?.pageInfo.hasNextPage}
              onClick={() => connection?.pageInfo.endCursor && setCursors([...cursors, connection.pageInfo.endCursor])}
            >
              Next page
            </Button>
          </Group>
        </Stack>
      </SimpleGrid>
    </Stack>
  );
}
