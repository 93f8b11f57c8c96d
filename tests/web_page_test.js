// Runs the reader page's script (searchd/web_page.cc) under Node with a
// stub DOM and fetch, and checks what it renders and requests.
//   node tests/web_page_test.js searchd/web_page.cc
'use strict';
const fs = require('fs');
const assert = require('assert');

const source = fs.readFileSync(process.argv[2], 'utf8');
const script = source.slice(source.indexOf('<script>') + 8, source.indexOf('</script>'));

function makeDom() {
  const el = () => ({value: '', checked: false, innerHTML: '', onclick: null, onsubmit: null, dataset: {}});
  const ids = {};
  for (const id of ['q', 'sort', 'lang', 'from', 'to', 'collapse', 'f', 'results', 'facets', 'dym', 'pf', 'draft',
                    'ptitle', 'pbefore'])
    ids[id] = el();
  ids.sort.value = 'relevance';
  return {
    ids,
    document: {getElementById: id => ids[id] || null, querySelectorAll: () => []},
  };
}

async function runPage(response, setup, search = '', run = 'run') {
  const dom = makeDom();
  const requested = [];
  const pushed = [];
  const win = {onpopstate: null};
  const location = {search};
  const context = {
    document: dom.document,
    location,
    window: win,
    history: {replaceState() {}, pushState(state, title, url) { pushed.push(url); }},
    URLSearchParams,
    fetch: async (url, init) => {
      requested.push(init ? {url, init} : url);
      return {ok: !(response && response.error), json: async () => response};
    },
  };
  const fn = new Function(...Object.keys(context),
                          script + '\nreturn {run, params, checkPrior, setFilter: (k, v) => { filters[k] = v; }};');
  const page = fn(...Object.values(context));
  if (setup) setup(dom.ids, page);
  await (run === 'checkPrior' ? page.checkPrior() : page.run());
  return {ids: dom.ids, requested, pushed, win, location};
}

const response = {
  total: 3, total_exact: true, total_estimate: 3, took_ms: 1,
  query: {words: [], relaxed: false},
  hits: [{id: 'a-1', title: {en: 'Port <strike>'}, snippet: {en: 'a <mark>port</mark>'}, source: 'Wire',
          published: '2024-01-02', section: 'business', original_language: 'en', matched_via: 'original'}],
  facets: {
    source: [{value: 'Liberty Times', count: 2}],
    year: [{value: '2024', count: 3}],
    // The engine counts an "en,zh" article under both "en" and "zh": each
    // value means "has a version in", which is what lang= filters.
    language: [{value: 'en', count: 3}, {value: 'zh', count: 2}],
  },
};

(async () => {
  // Facets: a source links to the source filter, a year to a date window,
  // a language to the lang filter.
  let {ids, requested} = await runPage(response, ids => { ids.q.value = 'port'; });
  const facets = ids.facets.innerHTML;
  assert.match(facets, /data-k="source" data-v="Liberty Times">Liberty Times \(2\)/);
  assert.match(facets, /data-y="2024">2024 \(3\)/);
  assert.match(facets, /data-k="lang" data-v="en">en \(3\)/);
  assert.match(facets, /data-k="lang" data-v="zh">zh \(2\)/);
  // Hits: titles escaped, snippets kept as the server's HTML.
  assert.match(ids.results.innerHTML, /Port &lt;strike&gt;/);
  assert.match(ids.results.innerHTML, /a <mark>port<\/mark>/);
  // The request: the query, the page size and the facets.
  assert.strictEqual(requested.length, 1);
  const p = new URLSearchParams(requested[0].split('?')[1]);
  assert.strictEqual(p.get('q'), 'port');
  assert.strictEqual(p.get('limit'), '10');
  assert.strictEqual(p.get('facets'), 'source,section,year,language');
  assert.strictEqual(p.get('lang'), null);
  // Issue 24: the reader page matches the last word as a prefix.
  assert.strictEqual(p.get('prefix'), 'last');

  // A chosen source facet and the form's controls become parameters.
  ({requested} = await runPage(response, (ids, page) => {
    ids.q.value = '貿易';
    ids.sort.value = '-date';
    ids.lang.value = 'zh';
    ids.from.value = '2024-01-01';
    ids.collapse.checked = true;
    page.setFilter('source', 'Liberty Times');
  }));
  const q = new URLSearchParams(requested[0].split('?')[1]);
  assert.strictEqual(q.get('q'), '貿易');
  assert.strictEqual(q.get('sort'), '-date');
  assert.strictEqual(q.get('lang'), 'zh');
  assert.strictEqual(q.get('from'), '2024-01-01');
  assert.strictEqual(q.get('to'), null);
  assert.strictEqual(q.get('collapse'), 'duplicates');
  assert.strictEqual(q.get('source'), 'Liberty Times');

  // Issue 25: the "Check prior coverage" box posts the draft as JSON to
  // /related and renders the hits; an error shows its message.
  ({ids, requested} = await runPage(response, ids => {
    ids.draft.value = '立法院 <draft>';
    ids.ptitle.value = 'Title';
    ids.pbefore.value = '2025-01-01';
  }, '', 'checkPrior'));
  assert.strictEqual(requested.length, 1);
  assert.strictEqual(requested[0].url, '/related');
  assert.strictEqual(requested[0].init.method, 'POST');
  assert.strictEqual(requested[0].init.headers['Content-Type'], 'application/json');
  assert.deepStrictEqual(JSON.parse(requested[0].init.body),
                         {text: '立法院 <draft>', limit: 10, title: 'Title', before: '2025-01-01'});
  assert.match(ids.results.innerHTML, /a <mark>port<\/mark>/);
  ({ids} = await runPage({error: {code: 'invalid_parameter', message: 'text: <none>'}}, null, '', 'checkPrior'));
  assert.match(ids.results.innerHTML, /class=err>text: &lt;none&gt;/);

  // Issue 24: "Did you mean" links to the suggestion; a corrected answer
  // says whose results it shows. Following the link searches the suggestion.
  const suggested = {...response, query: {words: [], relaxed: false, suggestion: 'Taiwan <election>'}};
  let dym;
  ({ids, requested} = await runPage(suggested, ids => { ids.q.value = 'Tawian <election>'; dym = ids.dym; }));
  assert.match(ids.results.innerHTML, /Did you mean <a href="#" id=dym>Taiwan &lt;election&gt;<\/a>\?/);
  assert.doesNotMatch(ids.results.innerHTML, /Showing results for/);
  dym.onclick({preventDefault() {}});
  await new Promise(r => setImmediate(r));
  assert.strictEqual(requested.length, 2);
  assert.strictEqual(new URLSearchParams(requested[1].split('?')[1]).get('q'), 'Taiwan <election>');
  assert.strictEqual(ids.q.value, 'Taiwan <election>');
  const corrected = {...response, query: {words: [], relaxed: false, suggestion: 'Taiwan', corrected: true}};
  ({ids} = await runPage(corrected, ids => { ids.q.value = 'Tawian'; }));
  assert.match(ids.results.innerHTML, /Showing results for <a href="#" id=dym>Taiwan<\/a>/);
  assert.doesNotMatch(ids.results.innerHTML, /Did you mean/);
  // Without a suggestion, neither line.
  ({ids} = await runPage(response, ids => { ids.q.value = 'port'; }));
  assert.doesNotMatch(ids.results.innerHTML, /Did you mean|Showing results for/);

  // Issue 24: a search in the URL fills the form and runs; following a link
  // pushes a history entry; the back button (popstate) runs the URL's search.
  let pushed, win, location;
  ({ids, requested, pushed, win, location} = await runPage(suggested, null,
      '?q=port&sort=-date&lang=en&from=2024-01-01&source=Wire&offset=10'));
  assert.strictEqual(ids.q.value, 'port');
  assert.strictEqual(ids.sort.value, '-date');
  assert.strictEqual(ids.lang.value, 'en');
  assert.strictEqual(ids.from.value, '2024-01-01');
  const first = new URLSearchParams(requested[0].split('?')[1]);
  assert.strictEqual(first.get('source'), 'Wire');
  assert.strictEqual(first.get('offset'), '10');
  assert.strictEqual(pushed.length, 0);  // loading a URL adds no history entry
  ids.dym.onclick({preventDefault() {}});
  await new Promise(r => setImmediate(r));
  assert.strictEqual(pushed.length, 1);
  location.search = '?q=harbour';
  win.onpopstate();
  await new Promise(r => setImmediate(r));
  assert.strictEqual(ids.q.value, 'harbour');
  assert.strictEqual(new URLSearchParams(requested[requested.length - 1].split('?')[1]).get('q'), 'harbour');
  assert.strictEqual(pushed.length, 1);
  console.log('web page: all checks passed');
})().catch(e => {
  console.error(e);
  process.exit(1);
});
