/**
 * Uploads a reply's picture to Slack the way Slack takes files now that files.upload is retired:
 * files.getUploadURLExternal (a URL and a file id), the bytes POSTed to that URL, then
 * files.completeUploadExternal, which shares the file into the channel (or thread). It needs the
 * `files:write` scope and the bot in the channel.
 */
import type { webApi } from '@slack/bolt';
import type { ImageBlock } from '../../core/reply.ts';

/** Slack refuses alt text over 1,000 characters (files.getUploadURLExternal: `alt_txt_too_large`). */
export const ALT_TEXT_MAX = 1000;

/** Where the file goes. */
export interface UploadPlace {
  /** The channel id. */
  channel: string;
  /** The parent message's ts, to share it as a reply in that thread. */
  threadTs?: string;
}

/** Sends a picture to a channel; resolves with the file id. Throws Slack's error (classify it) or an upload failure. */
export async function uploadImage(client: webApi.WebClient, image: ImageBlock, place: UploadPlace, post: typeof fetch = fetch): Promise<string> {
  const alt = image.alt.length > ALT_TEXT_MAX ? `${image.alt.slice(0, ALT_TEXT_MAX - 1)}…` : image.alt;
  // Slack's HTTP argument is `alt_txt` (the method's documentation); the SDK's typings call it alt_text and pass it on unchanged.
  const args = { filename: image.filename, length: image.png.byteLength, alt_txt: alt };
  const got = await client.files.getUploadURLExternal(args as Parameters<webApi.WebClient['files']['getUploadURLExternal']>[0]);
  if (!got.upload_url || !got.file_id) throw new Error('Slack gave no upload URL for the chart');
  // Slack takes the bytes raw or as a multipart form; raw needs no boundary and no re-encoding.
  const res = await post(got.upload_url, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: image.png });
  if (!res.ok) throw new Error(`Slack's upload URL answered HTTP ${res.status}`);
  await client.files.completeUploadExternal({
    files: [{ id: got.file_id, title: image.title }],
    channel_id: place.channel,
    ...(place.threadTs ? { thread_ts: place.threadTs } : {}),
  });
  return got.file_id;
}
