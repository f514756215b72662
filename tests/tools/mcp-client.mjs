// Talks to OrleansRag's MCP server with the official TypeScript SDK over Streamable HTTP, as an agent would.
//   node mcp-client.mjs <mcp url> <apiKey or "none"> <collection> <query> <question> <follow-up>
// Prints one JSON object: the server's info, its tools, and what each tool call returned.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const [url, apiKey, collection, query, question, followUp] = process.argv.slice(2);
const headers = apiKey === 'none' ? {} : { Authorization: `Bearer ${apiKey}` };
const client = new Client({ name: 'orleansrag-test', version: '1.0.0' });
await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));

const parse = result => ({ isError: result.isError ?? false, text: result.content?.[0]?.text ?? '', json: (() => { try { return JSON.parse(result.content?.[0]?.text ?? ''); } catch { return null; } })() });
const report = { server: client.getServerVersion(), instructions: client.getInstructions() };
report.tools = (await client.listTools()).tools.map(t => ({ name: t.name, description: t.description, properties: Object.keys(t.inputSchema?.properties ?? {}), required: t.inputSchema?.required ?? [] }));
report.collections = parse(await client.callTool({ name: 'list_collections', arguments: {} }));
report.search = parse(await client.callTool({ name: 'search', arguments: { collection, query, topK: 3 } }));
report.ask = parse(await client.callTool({ name: 'ask', arguments: { collection, question } }));
const started = parse(await client.callTool({ name: 'ask', arguments: { collection, question, conversationId: 'new' } }));
report.conversation = [started, parse(await client.callTool({ name: 'ask', arguments: { collection, question: followUp, conversationId: started.json?.conversationId ?? 'missing' } }))];
report.badTopK = parse(await client.callTool({ name: 'search', arguments: { collection, query, topK: 500 } }));
report.unknownCollection = parse(await client.callTool({ name: 'search', arguments: { collection: 'no-such-collection', query } }));
await client.close();
console.log(JSON.stringify(report));
