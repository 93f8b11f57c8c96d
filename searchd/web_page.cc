#include "web_page.h"

#include <string_view>

#include <openssl/evp.h>

namespace searchd {

const char* const kWebPage = R"HTML(<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tongwen 同文 — news archive search</title>
<style>
 body{font-family:system-ui,"Noto Sans CJK TC","PingFang TC",sans-serif;margin:0;color:#1d1d1f;background:#fafafa}
 header{background:#203a5c;color:#fff;padding:14px 20px}
 header h1{margin:0;font-size:20px} header small{opacity:.8}
 form{display:flex;gap:8px;flex-wrap:wrap;padding:14px 20px;background:#fff;border-bottom:1px solid #ddd}
 input[type=search]{flex:1 1 320px;font-size:17px;padding:8px}
 select,input[type=date]{padding:6px}
 main{display:flex;gap:24px;padding:16px 20px}
 aside{width:220px;font-size:14px} aside h3{font-size:13px;text-transform:uppercase;color:#666;margin:14px 0 4px}
 aside a{display:block;color:#203a5c;text-decoration:none;padding:1px 0} aside a:hover{text-decoration:underline}
 #results{flex:1;max-width:820px}
 .hit{background:#fff;border:1px solid #e3e3e3;border-radius:6px;padding:12px 14px;margin-bottom:10px}
 .hit h2{font-size:17px;margin:0 0 4px} .meta{font-size:12px;color:#666;margin-bottom:6px}
 .snip{font-size:14px;margin:4px 0} .snip b{font-size:11px;color:#888;margin-right:6px}
 mark{background:#ffe58a;padding:0 1px} .via{font-size:11px;background:#e8f0fe;color:#203a5c;padding:1px 5px;border-radius:3px}
 .pager button{margin-right:8px} .why{font-size:12px;color:#555;margin:6px 0 12px}
 .rel{font-size:12px} .err{color:#b00020} .dym{font-size:15px;margin:4px 0}
 #prior{padding:0 20px 12px;background:#fff;border-bottom:1px solid #ddd} #prior summary{cursor:pointer;padding:8px 0;color:#203a5c}
 #pf{padding:0;border:0} #draft{flex:1 1 100%;font-size:15px;padding:8px;min-height:7em} #ptitle{flex:1 1 320px;padding:6px}
</style></head>
<body>
<header><h1>同文 Tongwen</h1><small>Search Chinese and English news together — 中英新聞檢索</small></header>
<form id="f">
 <input type="search" id="q" placeholder="e.g. 國防預算, TSMC Arizona, &quot;Legislative Yuan&quot;" autofocus>
 <select id="sort"><option value="relevance">Relevance</option><option value="-date">Newest first</option><option value="date">Oldest first</option></select>
 <select id="lang"><option value="">Any language</option><option value="zh">Has Chinese</option><option value="en">Has English</option></select>
 <input type="date" id="from" title="from"><input type="date" id="to" title="to">
 <label><input type="checkbox" id="collapse"> fold duplicates</label>
 <button>Search</button>
</form>
<details id="prior"><summary>Check prior coverage — 查核既有報導</summary>
<form id="pf">
 <textarea id="draft" placeholder="Paste a draft: English, 中文 (either script) or both. The archive's most similar articles, in either language, are listed."></textarea>
 <input id="ptitle" placeholder="Title (optional)">
 <input type="date" id="pbefore" title="published before">
 <button>Check prior coverage</button>
</form></details>
<main><aside id="facets"></aside><section id="results"></section></main>
<script>
const $=id=>document.getElementById(id);
let offset=0, filters={};
function esc(s){return String(s??'').replace(/[&<>"']/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]));}
function params(){
  const p=new URLSearchParams({q:$('q').value,limit:10,offset,facets:'source,section,year,language',prefix:'last'});
  if($('sort').value!=='relevance')p.set('sort',$('sort').value);
  if($('lang').value)p.set('lang',$('lang').value);
  if($('from').value)p.set('from',$('from').value);
  if($('to').value)p.set('to',$('to').value);
  if($('collapse').checked)p.set('collapse','duplicates');
  for(const[k,v]of Object.entries(filters))p.set(k,v);
  return p;
}
async function run(push){
  const p=params(); if(push)history.pushState(null,'','?'+p); else history.replaceState(null,'','?'+p);
  const r=await fetch('/search?'+p); const j=await r.json();
  if(!r.ok){$('results').innerHTML='<p class=err>'+esc(j.error.message)+'</p>';return;}
  render(j);
}
function render(j){
  const w=j.query.words.filter(x=>x.translations.length).map(x=>esc(x.text)+' → '+x.translations.map(t=>esc(t.term)).join(' / ')).join('; ');
  let h=`<div class=why>${j.total_exact?j.total:'about '+j.total_estimate} results · ${j.took_ms} ms${w?' · translated: '+w:''}${j.query.relaxed?' · showing partial matches too':''}</div>`;
  const sg=j.query.suggestion;
  if(sg)h=(j.query.corrected?`<div class=dym>Showing results for <a href="#" id=dym>${esc(sg)}</a></div>`:`<div class=dym>Did you mean <a href="#" id=dym>${esc(sg)}</a>?</div>`)+h;
  for(const hit of j.hits){
    const tags=Object.keys(hit.snippet);
    const title=Object.values(hit.title)[0]||hit.id;
    h+=`<div class=hit><h2>${esc(title)}</h2><div class=meta>${esc(hit.source)} · ${esc(hit.published)} · ${esc(hit.section)} · original: ${esc(hit.original_language)}
     ${hit.matched_via==='translation'?'<span class=via>matched via translation</span>':''}${hit.duplicates?` · ${hit.duplicates} near-duplicates`:''}</div>`;
    for(const t of tags)h+=`<div class=snip><b>${esc(t)}</b>${hit.snippet[t]}</div>`;
    h+=`<a class=rel href="#" data-id="${esc(hit.id)}">Earlier coverage »</a></div>`;
  }
  h+=`<div class=pager>${offset>0?'<button id=prev>Previous</button>':''}${offset+10<Math.min(1000,j.total_exact?j.total:j.total_estimate)?'<button id=next>Next</button>':''}</div>`;
  $('results').innerHTML=h;
  if($('prev'))$('prev').onclick=()=>{offset=Math.max(0,offset-10);run(true);};
  if($('next'))$('next').onclick=()=>{offset+=10;run(true);};
  if($('dym'))$('dym').onclick=e=>{e.preventDefault();$('q').value=sg;offset=0;run(true);};
  document.querySelectorAll('.rel').forEach(a=>a.onclick=async e=>{e.preventDefault();
    const hit=j.hits.find(x=>x.id===a.dataset.id);
    const r=await fetch('/articles/'+encodeURIComponent(a.dataset.id)+'/related?limit=10'+(hit.published?'&before='+hit.published:''));
    const rj=await r.json(); rj.query.words=[]; render(rj);});
  let f='';
  for(const[name,vals]of Object.entries(j.facets||{})){
    f+=`<h3>${esc(name)}</h3>`;
    for(const v of vals){const key=name==='year'?null:name==='language'?'lang':name;
      f+=key?`<a href="#" data-k="${key}" data-v="${esc(v.value)}">${esc(v.value)} (${v.count})</a>`:`<a href="#" data-y="${esc(v.value)}">${esc(v.value)} (${v.count})</a>`;}
  }
  if(Object.keys(filters).length)f+='<h3>filters</h3><a href="#" id=clear>clear filters ✕</a>';
  $('facets').innerHTML=f;
  document.querySelectorAll('#facets a[data-k]').forEach(a=>a.onclick=e=>{e.preventDefault();filters[a.dataset.k]=a.dataset.v;offset=0;run(true);});
  document.querySelectorAll('#facets a[data-y]').forEach(a=>a.onclick=e=>{e.preventDefault();$('from').value=a.dataset.y+'-01-01';$('to').value=a.dataset.y+'-12-31';offset=0;run(true);});
  if($('clear'))$('clear').onclick=e=>{e.preventDefault();filters={};offset=0;run(true);};
}
async function checkPrior(){
  const body={text:$('draft').value,limit:10};
  if($('ptitle').value)body.title=$('ptitle').value;
  if($('pbefore').value)body.before=$('pbefore').value;
  if($('collapse').checked)body.collapse='duplicates';
  const r=await fetch('/related',{method:'POST',headers:{'Content-Type':'application/json'},body:JSON.stringify(body)});
  const j=await r.json();
  if(!r.ok){$('results').innerHTML='<p class=err>'+esc(j.error.message)+'</p>';return;}
  offset=0; render(j);
}
$('pf').onsubmit=e=>{e.preventDefault();checkPrior();};
$('f').onsubmit=e=>{e.preventDefault();offset=0;run(true);};
// The search in the URL (shared, or reached with the back button) fills the form and runs.
function load(){
  const u=new URLSearchParams(location.search);
  $('q').value=u.get('q')||''; $('sort').value=u.get('sort')||'relevance'; $('lang').value=u.get('lang')||'';
  $('from').value=u.get('from')||''; $('to').value=u.get('to')||''; $('collapse').checked=u.get('collapse')==='duplicates';
  offset=Number(u.get('offset'))||0; filters={};
  for(const k of ['source','section','original'])if(u.get(k))filters[k]=u.get(k);
  if(u.get('q'))run(false);
}
window.onpopstate=load; load();
</script></body></html>
)HTML";

namespace {

// 'sha256-<base64>' of the text between `open` and `close` in the page.
std::string HashSource(std::string_view open, std::string_view close) {
  const std::string_view page(kWebPage);
  const size_t from = page.find(open) + open.size();
  const std::string_view text = page.substr(from, page.find(close, from) - from);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha256(), nullptr);
  unsigned char b64[2 * EVP_MAX_MD_SIZE];
  const int n = EVP_EncodeBlock(b64, digest, static_cast<int>(len));
  return "'sha256-" + std::string(reinterpret_cast<const char*>(b64), static_cast<size_t>(n)) + "'";
}

}  // namespace

const std::string& WebPageCsp() {
  static const std::string csp = "default-src 'none'; script-src " + HashSource("<script>", "</script>") +
                                 "; style-src " + HashSource("<style>", "</style>") +
                                 "; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; "
                                 "frame-ancestors 'none'";
  return csp;
}

}  // namespace searchd
