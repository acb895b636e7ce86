/** The org tree, browsed one level at a time (`GET /api/orgs/:id`), with rename and deactivate. */
import {
  App,
  Button,
  Col,
  Descriptions,
  Empty,
  Form,
  Input,
  Row,
  Spin,
  Switch,
  Tag,
  Tree,
  type TreeDataNode,
  Typography,
} from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { type ApiError, asApiError, type OrgDetail, type StaffUser, staffApi } from '../api.ts';
import { orgKindName, useStaffLang, useT } from '../i18n.ts';
import { ErrorAlert, fieldErrorsOf } from '../ui.tsx';

type Node = TreeDataNode & { key: string; kind: string };

export function OrgTreeTab({ user }: { user: StaffUser }) {
  const t = useT();
  const lang = useStaffLang();
  const [tree, setTree] = useState<Node[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [expanded, setExpanded] = useState<string[]>([]);

  const toNodes = useCallback(
    (d: OrgDetail): Node[] =>
      d.children.map((ch) => ({
        key: ch.id,
        kind: ch.kind,
        isLeaf: ch.kind === 'village' || ch.kind === 'department' || ch.kind === 'centre',
        title: (
          <span style={{ opacity: ch.active ? 1 : 0.5 }}>
            {ch.name} <Tag style={{ marginInlineStart: 4 }}>{orgKindName(lang, ch.kind, ch.subtype)}</Tag>
          </span>
        ),
      })),
    [lang],
  );

  useEffect(() => {
    const ctrl = new AbortController();
    staffApi
      .org(user.org.scopeRootId, ctrl.signal)
      .then((d) => {
        setExpanded([d.org.id]);
        setTree([
          {
            key: d.org.id,
            kind: d.org.kind,
            title: (
              <span>
                {d.org.name} <Tag color="blue">{orgKindName(lang, d.org.kind, d.org.subtype)}</Tag>
              </span>
            ),
            children: toNodes(d),
          },
        ]);
      })
      .catch((err) => !ctrl.signal.aborted && setError(asApiError(err)));
    return () => ctrl.abort();
  }, [user.org.scopeRootId, toNodes, lang]);

  const loadData = async (node: TreeDataNode) => {
    if (node.children) return;
    const d = await staffApi.org(String(node.key));
    const kids = toNodes(d);
    setTree((old) => (old ? insert(old, String(node.key), kids) : old));
  };

  if (error) return <ErrorAlert error={error} />;
  if (!tree) return <Spin />;
  return (
    <Row gutter={16}>
      <Col xs={24} md={12} style={{ maxHeight: '70vh', overflow: 'auto' }}>
        <Tree
          treeData={tree}
          loadData={loadData}
          expandedKeys={expanded}
          onExpand={(keys) => setExpanded(keys.map(String))}
          onSelect={(keys) => setSelected(keys[0] ? String(keys[0]) : null)}
          showLine
        />
      </Col>
      <Col xs={24} md={12}>
        {selected ? (
          <OrgEditor
            id={selected}
            onRenamed={(name) => setTree((old) => (old ? rename(old, selected, name) : old))}
          />
        ) : (
          <Empty description={t('admin.pickOrg')} />
        )}
      </Col>
    </Row>
  );
}

function insert(nodes: Node[], key: string, children: Node[]): Node[] {
  return nodes.map((n) =>
    n.key === key
      ? { ...n, children }
      : n.children
        ? { ...n, children: insert(n.children as Node[], key, children) }
        : n,
  );
}

function rename(nodes: Node[], key: string, name: string): Node[] {
  return nodes.map((n) =>
    n.key === key
      ? { ...n, title: <span>{name}</span> }
      : n.children
        ? { ...n, children: rename(n.children as Node[], key, name) }
        : n,
  );
}

function OrgEditor({ id, onRenamed }: { id: string; onRenamed: (name: string) => void }) {
  const t = useT();
  const lang = useStaffLang();
  const { message } = App.useApp();
  const [d, setD] = useState<OrgDetail | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<{ name: string; active: boolean }>();

  useEffect(() => {
    const ctrl = new AbortController();
    setD(null);
    setError(null);
    staffApi
      .org(id, ctrl.signal)
      .then((x) => {
        setD(x);
        form.setFieldsValue({ name: x.org.name, active: x.org.active });
      })
      .catch((err) => !ctrl.signal.aborted && setError(asApiError(err)));
    return () => ctrl.abort();
  }, [id, form]);

  if (error && !d) return <ErrorAlert error={error} />;
  if (!d) return <Spin />;
  const o = d.org;
  const save = async (v: { name: string; active: boolean }) => {
    setBusy(true);
    setError(null);
    try {
      const r = await staffApi.patchOrg(o.id, { name: v.name.trim(), active: v.active, version: o.version });
      setD({ ...d, org: r.org });
      onRenamed(r.org.name);
      void message.success(t('common.saved'));
    } catch (err) {
      const e = asApiError(err);
      setError(e);
      form.setFields(fieldErrorsOf(e).map((f) => ({ name: f.name as 'name', errors: f.errors })));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Descriptions
        size="small"
        column={1}
        bordered
        items={[
          {
            key: 'id',
            label: t('admin.orgCode'),
            children: <Typography.Text copyable>{o.id}</Typography.Text>,
          },
          { key: 'kind', label: t('admin.orgKind'), children: orgKindName(lang, o.kind, o.subtype) },
          {
            key: 'path',
            label: t('admin.orgPath'),
            children: d.ancestors
              .map((a) => a.name)
              .concat(o.name)
              .join(' / '),
          },
          { key: 'n', label: t('admin.orgChildren'), children: d.children.length },
          {
            key: 'a',
            label: t('admin.active'),
            children: o.active ? <Tag color="green">{t('common.yes')}</Tag> : <Tag>{t('common.no')}</Tag>,
          },
        ]}
      />
      {d.abilities.update && (
        <Form form={form} layout="vertical" onFinish={save} disabled={busy} style={{ marginTop: 16 }}>
          <Form.Item
            name="name"
            label={t('admin.orgName')}
            rules={[{ required: true, whitespace: true, max: 100 }]}
          >
            <Input maxLength={100} />
          </Form.Item>
          <Form.Item name="active" label={t('admin.active')} valuePropName="checked">
            <Switch />
          </Form.Item>
          <Button type="primary" htmlType="submit" loading={busy}>
            {t('common.save')}
          </Button>
        </Form>
      )}
      {error && (
        <div style={{ marginTop: 12 }}>
          <ErrorAlert error={error} />
        </div>
      )}
    </>
  );
}
