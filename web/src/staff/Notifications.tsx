/**
 * The in-app notifications bell: the unread count (polled once a minute while the tab is visible),
 * the list, and marking one or all as read. Opening one goes to its case.
 */
import { BellOutlined } from '@ant-design/icons';
import { Badge, Button, Empty, List, Popover, Segmented, Space, Spin, Tooltip, Typography } from 'antd';
import { useCallback, useEffect, useRef, useState } from 'react';
import { navigate } from '../router.tsx';
import { type ApiError, asApiError, isMissingEndpoint, type Notification, staffApi } from './api.ts';
import { useStaffLang, useT } from './i18n.ts';
import { ErrorAlert, formatShort } from './ui.tsx';

const POLL_MS = 60_000;

export function NotificationBell() {
  const t = useT();
  const lang = useStaffLang();
  const [open, setOpen] = useState(false);
  const [unread, setUnread] = useState(0);
  const [missing, setMissing] = useState(false);
  const [onlyUnread, setOnlyUnread] = useState(true);
  const [items, setItems] = useState<Notification[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const alive = useRef(true);

  const refreshCount = useCallback(async () => {
    try {
      const r = await staffApi.notifications(true);
      if (alive.current) setUnread(r.unreadCount);
    } catch (err) {
      if (isMissingEndpoint(err) && alive.current) setMissing(true);
    }
  }, []);

  useEffect(() => {
    alive.current = true;
    void refreshCount();
    const id = setInterval(() => {
      if (document.visibilityState === 'visible') void refreshCount();
    }, POLL_MS);
    return () => {
      alive.current = false;
      clearInterval(id);
    };
  }, [refreshCount]);

  const loadList = useCallback(async (unreadOnly: boolean) => {
    setError(null);
    setItems(null);
    try {
      const r = await staffApi.notifications(unreadOnly);
      setItems(r.items);
      if (unreadOnly) setUnread(r.unreadCount);
    } catch (err) {
      setError(asApiError(err));
    }
  }, []);

  useEffect(() => {
    if (open && !missing) void loadList(onlyUnread);
  }, [open, onlyUnread, missing, loadList]);

  const markRead = async (n: Notification) => {
    if (n.readAt) return;
    await staffApi.readNotification(n.id);
    setItems(
      (list) => list?.map((x) => (x.id === n.id ? { ...x, readAt: new Date().toISOString() } : x)) ?? null,
    );
    setUnread((u) => Math.max(0, u - 1));
  };

  const openOne = async (n: Notification) => {
    try {
      await markRead(n);
    } catch (err) {
      setError(asApiError(err));
      return;
    }
    if (n.caseId) {
      setOpen(false);
      navigate(`/staff/cases/${n.caseId}`);
    }
  };

  const markAll = async () => {
    setBusy(true);
    try {
      await staffApi.readAllNotifications();
      const now = new Date().toISOString();
      setItems((list) => list?.map((x) => (x.readAt ? x : { ...x, readAt: now })) ?? null);
      setUnread(0);
      void refreshCount();
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(false);
    }
  };

  if (missing) {
    return (
      <Tooltip title={t('notify.unavailable')}>
        <Button type="text" shape="circle" icon={<BellOutlined />} aria-label={t('notify.title')} disabled />
      </Tooltip>
    );
  }

  const content = (
    <div style={{ width: 380, maxWidth: '90vw' }}>
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 8 }}>
        <Segmented
          size="small"
          value={onlyUnread ? 'unread' : 'all'}
          onChange={(v) => setOnlyUnread(v === 'unread')}
          options={[
            { value: 'unread', label: t('notify.unread') },
            { value: 'all', label: t('notify.all') },
          ]}
        />
        <Button
          size="small"
          type="link"
          onClick={markAll}
          loading={busy}
          disabled={!items?.some((n) => !n.readAt)}
        >
          {t('notify.markAll')}
        </Button>
      </Space>
      {error && <ErrorAlert error={error} compact />}
      {!items && !error && (
        <div style={{ textAlign: 'center', padding: 24 }}>
          <Spin />
        </div>
      )}
      {items && items.length === 0 && (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('notify.empty')} />
      )}
      {items && items.length > 0 && (
        <List
          size="small"
          style={{ maxHeight: 420, overflow: 'auto' }}
          dataSource={items}
          renderItem={(n) => (
            <List.Item
              key={n.id}
              style={{ cursor: 'pointer', opacity: n.readAt ? 0.6 : 1 }}
              onClick={() => void openOne(n)}
              actions={
                n.readAt
                  ? []
                  : [
                      <Button
                        key="read"
                        size="small"
                        type="link"
                        onClick={(e) => {
                          e.stopPropagation();
                          void markRead(n).catch((err) => setError(asApiError(err)));
                        }}
                      >
                        {t('notify.markRead')}
                      </Button>,
                    ]
              }
            >
              <List.Item.Meta
                title={
                  <Space size={6}>
                    {!n.readAt && <Badge status="processing" />}
                    <span>{n.title}</span>
                  </Space>
                }
                description={
                  <>
                    <Typography.Paragraph ellipsis={{ rows: 2 }} style={{ marginBottom: 0, fontSize: 12 }}>
                      {n.body}
                    </Typography.Paragraph>
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {formatShort(n.createdAt, lang)}
                    </Typography.Text>
                  </>
                }
              />
            </List.Item>
          )}
        />
      )}
    </div>
  );

  return (
    <Popover
      trigger="click"
      placement="bottomRight"
      open={open}
      onOpenChange={setOpen}
      title={t('notify.title')}
      content={content}
    >
      <Badge count={unread} size="small" overflowCount={99}>
        <Button
          type="text"
          shape="circle"
          icon={<BellOutlined />}
          aria-label={t('notify.bell', { n: unread })}
        />
      </Badge>
    </Popover>
  );
}
