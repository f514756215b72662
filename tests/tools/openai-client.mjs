// Talks to OrleansRag's OpenAI-compatible endpoints with the official `openai` npm client, as a chat front end would.
//   node openai-client.mjs <baseURL ending in /v1> <apiKey or "none"> <collection> <question> <follow-up>
// Prints one JSON object with what each call returned (or the error's status and message).
import OpenAI from 'openai';

const [baseURL, apiKey, collection, question, followUp] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: apiKey === 'none' ? 'unused' : apiKey, maxRetries: 0, timeout: 60_000 });
const report = {};

async function failure(call) {
  try {
    await call();
    return { status: 0, message: 'no error' };
  } catch (error) {
    return { status: error.status ?? -1, message: error.message, type: error.type ?? error.error?.type ?? null, code: error.code ?? null };
  }
}

report.models = (await client.models.list()).data.map(m => ({ id: m.id, object: m.object, owned_by: m.owned_by }));
report.model = await client.models.retrieve(collection);
report.missingModel = await failure(() => client.models.retrieve('no-such-collection'));

const first = await client.chat.completions.create({ model: collection, messages: [{ role: 'user', content: question }] });
report.plain = {
  object: first.object,
  model: first.model,
  content: first.choices[0].message.content,
  role: first.choices[0].message.role,
  finishReason: first.choices[0].finish_reason,
  citations: first.citations,
  usage: first.usage,
};

const history = [
  { role: 'system', content: 'You are a helpful assistant.' },
  { role: 'user', content: question },
  { role: 'assistant', content: first.choices[0].message.content },
  { role: 'user', content: followUp },
];
const second = await client.chat.completions.create({ model: collection, messages: history });
report.followUp = { content: second.choices[0].message.content, citations: second.citations, standaloneQuestion: second.standalone_question };

const started = performance.now();
let firstTokenMs = null;
const stream = await client.chat.completions.create({ model: collection, messages: history, stream: true });
const pieces = [];
let chunks = 0;
let finishReason = null;
let citations = null;
for await (const chunk of stream) {
  chunks++;
  if (chunk.object !== 'chat.completion.chunk') throw new Error(`unexpected object ${chunk.object}`);
  const delta = chunk.choices[0]?.delta ?? {};
  if (delta.content) {
    firstTokenMs ??= performance.now() - started;
    pieces.push(delta.content);
  }
  finishReason = chunk.choices[0]?.finish_reason ?? finishReason;
  citations = chunk.citations ?? citations;
}
report.stream = { content: pieces.join(''), chunks, finishReason, citations, firstTokenMs };

report.unknownModel = await failure(() => client.chat.completions.create({ model: 'no-such-collection', messages: [{ role: 'user', content: question }] }));
report.badBody = await failure(() => client.chat.completions.create({ model: collection, messages: [] }));
report.toolRole = await failure(() => client.chat.completions.create({ model: collection, messages: [{ role: 'tool', content: 'x', tool_call_id: 'a' }, { role: 'user', content: question }] }));
const wrongKey = new OpenAI({ baseURL, apiKey: 'orag_aaaaaaaaaaaa_wrongwrongwrongwrongwrongwrongwrongwrongwro', maxRetries: 0 });
report.badKey = await failure(() => wrongKey.chat.completions.create({ model: collection, messages: [{ role: 'user', content: question }] }));

console.log(JSON.stringify(report));
