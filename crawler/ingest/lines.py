"""The lines of an extracted text: which are page furniture, which name where
the text came from, and where the article ends.

`clean_text` goes over the text line by line, in the languages news is
most written in: attribution lines and datelines ("Via X", "(AFP) —",
"Read more at …") are taken out and returned apart; stamps, categories,
credits of pictures, "read also" teasers, appeals, promotions, paywall and
consent lines, widget leftovers and counters are removed; the text ends at
a comments heading, or at a related-links heading when what follows is
not most of it; a run of labels before the first paragraph goes, and
repeated paragraphs are kept once. What each rule removed is recorded.

Text measures live here too: `text_length` (dense scripts counted at their
weight) and `normalize_line` (for comparing lines).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Iterable

from crawler.ingest.removals import Removals

_HAN_KANA = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")
_DENSE_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")


def dense_chars(text: str) -> tuple[int, int]:
    """How many Han and kana, and how many Hangul characters `text` holds.
    Most pages hold none: an ASCII string (known without reading it) or one
    search settles that before any counting."""
    if text.isascii() or not _DENSE_SCRIPT.search(text):
        return 0, 0
    return len(_HAN_KANA.findall(text)), len(_HANGUL.findall(text))


def text_length(text: str) -> int:
    """Length in Latin-letter equivalents: Han and kana count 3, Hangul 2."""
    han_kana, hangul = dense_chars(text)
    return len(text) + 2 * han_kana + hangul


_LINE_QUOTES = {**dict.fromkeys("‘’‚‛′`", "'"), **dict.fromkeys("“”„‟″", '"')}
_LINE_QUOTE = re.compile("[" + "".join(_LINE_QUOTES) + "]")


def normalize_line(text: str) -> str:
    """Casefolded, NFKC, quotes unified, whitespace collapsed: for comparing lines."""
    text = _LINE_QUOTE.sub(lambda m: _LINE_QUOTES[m.group()], unicodedata.normalize("NFKC", text).casefold())
    return " ".join(text.split())



MAX_ATTRIBUTION = 200
# Wire agencies that open a story with "Reuters —" without brackets.
_AGENCIES = (r"Reuters|AFP|AP|Associated Press|Agence France-Presse|Bloomberg|dpa|ANSA|EFE|Xinhua|TASS"
             r"|RIA Novosti|Interfax|Kyodo|Yonhap|UPI|PA|IANS|PTI|ANI|Anadolu|Sputnik|CNA|AAP|Bernama|KUNA")
# "WASHINGTON, Dec 6 (AFP) —", "(AFP) —", "Reuters —": a place, a date, the agency, a dash.
_DATELINE_CREDIT = (
    r"(?:[A-Z][\w.'’-]*(?:[ ,]+(?:[A-Z][\w.'’-]*|\d{1,2})){0,5},?\s*)?"
    r"(?:\([A-Z][\w&.'’-]*(?:\s+[\w&.'’-]+){0,3}\)|\((?:" + _AGENCIES + r")(?:/\w+)?\)|(?:" + _AGENCIES + r"))"
    r"\s*[—–-]{1,2}"
)
_DATELINE = re.compile(r"^(?P<credit>" + _DATELINE_CREDIT + r")\s*(?=\S)")
_ATTRIBUTION = re.compile(
    # An excerpt's last line may open with the ellipsis of the cut: "[…] Continue reading on X".
    r"^(?:\[?(?:…|\.\.\.)\]?\s*)?"
    # ... and a syndication note may say what it is first: "Editor's note: republished from X."
    r"(?:(?i:(?:editor[’']?s[’']?\s+)?note)\s*[:—–-]\s*)?"
    r"(?:(?i:via\s+[^.!?,;]{1,60}(?:…|\.\.\.|:)?"
    r"|(?:h/t|hat tip)\b.{1,100}"
    r"|(?:read|see) (?:more|the (?:full|original|rest of the) (?:article|story|report)|the rest)"
    r"\s+(?:at|on|from|in)\s+\S.*"
    r"|continue(?:s|d)? reading (?:at|on|from|in)\s+\S.*"
    r"|(?:this|the) (?:article|story|post|piece|report|column|interview)(?: was| is)?"
    r" (?:(?:first|originally) (?:appeared|published|posted|ran)|republished|reprinted|reproduced)\b.*"
    r"|(?:originally|first) (?:published|appeared|posted) (?:at|on|in|by)\s+[^,;]{2,80}"
    r"|(?:republished|reprinted|cross-?posted|syndicated) (?:from|with|by|courtesy)\b.*"
    r"|(?:authored|written|reported) by [^,.;]{2,60} (?:via|for|at|from) [^,;]{2,60})"
    r"|" + _DATELINE_CREDIT +
    r")$",
)
_CREDIT = re.compile(
    r"^(?:©|\(c\)|copyright)\s*(?:\d{4}\s+)?(?P<name>[A-Z][\w&.'’-]*(?:\s+[A-Z][\w&.'’-]*){0,3}?)(?:,?\s+\d{4})?\.?$",
    re.IGNORECASE,
)
_END = r"[\s:|»›>…]*$"  # what may trail a label line

# Lines that are never article text, wherever they stand.
_FURNITURE_LINE = re.compile(
    r"^(?:"
    r"advert(?:isement|ising)?|sponsored(?: content)?|promoted|paid (?:post|content)|ad"
    r"|[\d.,]+\s*[km]?\s+(?:views?|reads?|shares?|likes?|comments?|responses?|replies)"
    r"|(?:views?|reads?|comments?)\s*:?\s*[\d.,]+[km]?"
    r"|comments?\s*\(\d+\)|(?:no|one|\d+) (?:comments?|responses?|thoughts?)(?: (?:on|to) .{0,150})?"
    r"|(?:published|posted|updated|last updated|modified)(?:\s+(?:on|at|by))?"
    r"(?:\s+(?=[^.!?]*(?:\d|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))[\w ,:./+-]{1,40})?"
    r"|(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+[\w ,.]{4,30}\d{4}"
    r"|on|by|and|at|in|or|share|tweet|pin(?: it)?|email|print|reply|report|flag|like|avatar|notify of"
    r"|(?:share|tweet|email|print|save|pin)\s+(?:this|it)(?:\s+(?:article|story|post|page))?"
    r"|(?:share|post)\s+(?:to|on|via)\s+\w+"
    r"|(?:(?:share (?:to|on) )?(?:facebook|twitter|x|e-?mail|whatsapp|linkedin|reddit|pinterest|telegram"
    r"|blogthis!?|email this|copy link|messenger)[\s|·•,/]*){2,}"
    r"|(?:click|tap)(?: here)? to (?:comment|reply|share|subscribe|donate).{0,30}"
    r"|(?:leave|post|add|write|submit) (?:a |your )?(?:reply|comment|response).{0,30}"
    r"|be the first to (?:comment|reply|respond).{0,30}"
    r"|(?:view|show|see|read|load) (?:all |more |the )?(?:\d+ )?(?:comments?|replies|responses).{0,30}"
    r"|(?:join|start) the (?:discussion|conversation).{0,30}"
    r"|(?:sign|log) in (?:or (?:create an account|register|sign up) )?to (?:comment|reply|join the (?:conversation|discussion)).{0,40}"
    r"|(?:sign|log) in or (?:create an account|register|sign up)\b.{0,60}"
    r"|(?:continue|keep) reading|read (?:more|on|the full (?:story|article))|load more|show more"
    r"|(?:next|previous|older|newer) (?:post|article|story|entry)|back to top|skip to (?:main )?content"
    r"|(?:tags?|labels?|filed (?:in|under)|categor(?:y|ies)|topics?|posted in)\s*:.{0,200}"
    r"|(?:read|see|watch|listen|related|also read|read also|see also|more)(?: also| more)?\s*:\s*.{1,200}"
    r"|(?:follow|connect with|find|like) us(?: on .{1,60})?|join our .{0,40}(?:channel|community|list|group)"
    r"|(?:photo(?:graph)?|image|picture|video|graphic|illustration)s?\s*:\s*.{0,300}"
    r"|(?:photo|image|picture) (?:copyright|caption|source|credit)\b.{0,200}"
    r"|(?:source|sources|credit|credits|courtesy)\s*:\s*.{1,150}"
    r"|\d+\s*(?:min|minutes?)\.?\s*read|reading time\b.{0,20}|listen to (?:this )?(?:article|story)\b.{0,30}"
    r"|(?:this|the) (?:article|story|post) is (?:more than|over) .{1,20} old"
    r"|follow .{1,40} on (?:twitter|x|facebook|instagram|telegram|youtube|tiktok|mastodon|soundcloud)"
    r"|we use cookies\b.{0,250}|already a (?:subscriber|member)\b.{0,40}"
    r"|subscribe(?: now| today| here)?|sign in|log in|register|loading|menu|search|close|next|previous"
    r"|(?:save|bookmark|gift)(?: this)?(?: article| story)?"
    r"|by\s+(?-i:[A-Z][\w.'’-]*(?:\s+(?:[A-Z][\w.'’-]*|and|&|de|van|von|al|bin)){0,4})"
    r"(?:\s*[|,·•]\s*(?=[\w ,:.+-]*\d)[\w ,:.+-]{4,40})?"
    r"|submit a report|report (?:this|a) comment.{0,30}|(?:©|\(c\)|copyright\b).{0,150}|.{0,150}all rights reserved.*"
    r"|(?:\[\s*[^\[\]]{1,40}\s*\]\s*){2,}|(?:printer-friendly|print(?:able)?) version|e-?mail this (?:story|article)"
    r"|[\d.,:/ -]+|[^\w]*"
    r")[\s.!:|»›>…]*$",
    re.IGNORECASE,
)
# The same kinds of line in the other languages news is most written in
# (German, French, Spanish, Italian, Portuguese, Polish, Dutch): labels that
# send the reader to another story ("Lesen Sie auch: <headline>"), stamps,
# categories, credits of pictures and sources, advertising labels.
_FURNITURE_LINE_OTHER_LANGUAGES = re.compile(
    r"^(?:>>\s*)?(?:"
    r"(?:(?:also |must )?read(?: also| more| next| this)?|see also|watch(?: also)?|don'?t miss|recommended"
    r"|lesen sie(?: auch| hier| dazu| mehr)?|auch lesen|siehe auch|mehr dazu|mehr zum thema|auch interessant"
    r"|ebenfalls interessant|passend dazu|zum weiterlesen|das könnte (?:sie|dich) (?:auch )?interessieren"
    r"|[àa] lire(?: aussi| également)?|lire aussi|[àa] voir(?: aussi)?|voir aussi|sur le même sujet"
    r"|le[ae](?: también| más| además)?|lee(?: también| más)?|mir[ae](?: también)?|ve[ar] (?:también|más)"
    r"|puedes ver|(?:también )?(?:le|te) puede(?: interesar| gustar)|noticia relacionada|relacionad[ao]s?"
    r"|leggi(?: anche)?|vedi anche|potrebbe interessarti|leia(?: também| mais)?|veja(?: também)?|saiba mais"
    r"|czytaj(?: też| także| więcej)?|zobacz(?: też| także)?|dowiedz się więcej|polecamy|lees(?: ook| meer)"
    r"|bekijk ook|zie ook)\s*(?::|»|›|>>?|\|)\s*\S.{0,200}"
    r"|(?:veröffentlicht|veröffentlichung|aktualisiert|zuletzt aktualisiert|letzte (?:änderung|aktualisierung)|erstellt|stand"
    r"|publicado|actualizado|publié|mis à jour|modifié|pubblicato|aggiornato|opublikowano|zaktualizowano"
    r"|gepubliceerd|bijgewerkt|release date|news date)(?:\s+(?:am|um|el|le|il|em|op|dnia))?\s*:?"
    r"(?:\s*(?=[^.!?]*\d)[\w ,:./|+-]{1,60})?"
    r"|(?:kategorien?|rubriken?|schlagw(?:o|ö)rte(?:r)?|stichw(?:o|ö)rter|themen|catégories?|étiquettes|mots-clés"
    r"|categor(?:í|i)as?|etiquetas|temas|tag|kategori[ae]|tagi|trefwoorden)\s*:.{0,200}"
    r"|(?:fotos?|fot\.|bild(?:er)?|titelbild|beitragsbild|headerbild|aufmacherbild|abbildung(?: \d+)?|abb\.(?: \d+)?"
    r"|grafik|imagen(?:es)?|imag(?:e|es) illustrative|immagin[ei]|zdjęci[ea]|afbeelding|figur[ea](?: \d+)?"
    r"|fig\.(?: \d+)?|crédits?(?: photos?)?|credits?|bildnachweis|bildquelle|quelle|quellen(?:angaben)?|fuentes?"
    r"|fonte|źródło|bron)\s*:\s*.{0,300}"
    r"|fot\.\s+\S.{0,100}"
    r"|\*?(?:werbung|anzeige|publicidad|publicité|pubblicità|reklama|advertentie|gesponsert|patrocinado)"
    r"(?:\s*[:|*.,–-].{0,250})?"
    r"|(?:kommentare?|kommentar schreiben|keine kommentare|comentarios?|commentaires?|commenti|comentários"
    r"|komentarze?|reacties)(?: insgesamt)?(?:\s*\(\d+\))?(?:\s*[(:].{0,80})?"
    r"|bild (?:anzeigen|vergrößern)|(?:view|enlarge) (?:image|photo|picture)|agrandir (?:l'image|la photo)|ver imagen"
    r"|(?:inhaltsverzeichnis|table of contents|sommaire|spis treści|inhoudsopgave)"
    r"|(?:alle )?angaben ohne gewähr|(?:video|audio|sendung|beitrag|podcast) verfügbar bis\b.{0,30}"
    r"|(?:\d+\s*min(?:\.|uten)?\s*)?(?:lesezeit|lesedauer|temps de lecture|tiempo de lectura|czas czytania)\b.{0,20}"
    r"|pour (?:lire la suite|accéder en illimité|continuer à lire).{0,60}|la suite est réservée.{0,80}"
    r"|(?:nächste[rn]?|vorheriger?) (?:artikel|beitrag)|vorschau auf den nächsten artikel|article (?:suivant|précédent)"
    r"|(?:siguiente|anterior) artículo|hier geht(?:'s| es) (?:zu[mr]?|weiter)\b.{0,80}"
    r"|(?:(?:tel(?:efon)?|phone|fax|mobil|handy|téléphone|teléfono)\.?\s*:?\s*\+?[\d(][\d\s()/.+]{5,}[\s|,·-]*){1,3}"
    r"|(?:kontakt|pressekontakt|medienkontakt|ansprechpartner(?:in)?(?: zum thema)?|weitere informationen"
    r"|zusatzinformationen|contact|press contact|media contact|contacto|contact presse)\s*:"
    r"|(?:gefällt mir|like|j'aime|me gusta)?\s*(?:lade|loading|chargement|cargando)\s*\.\.\.|gefällt mir"
    r"|(?:warning|notice|deprecated|fatal error|parse error)\s*:.{0,250}\bon line \d+"
    r"|(?:[a-z]{2,4}|[A-Z]{2,5})(?:\s*/\s*(?:[a-z]{2,4}|[A-Z]{2,5}))+"
    r")[\s.!:|»›>…<]*$",
    re.IGNORECASE,
)
# The lines of the same kinds whose telling words may stand anywhere in their
# first 200 characters: tried on a line only when it holds one of the words
# each needs (`in` on the lowered line, a fast substring search): as a case-
# blind regex trying every start in the line, they took 14 of the 17 µs the
# pattern above cost a line of text.
_FURNITURE_LINE_ANYWHERE = tuple(
    (re.compile(r"^(?:>>\s*)?(?:" + pattern + r")[\s.!:|»›>…<]*$", re.IGNORECASE), words)
    for pattern, words in (
        (r".{0,200}(?:alle rechte vorbehalten|todos los derechos reservados|tous droits réservés"
         r"|tutti i diritti riservati|todos os direitos reservados|wszelkie prawa zastrzeżone|prawem autorskim"
         r"|alle rechten voorbehouden|copyrighted property).{0,200}",
         ("alle rechte vorbehalten", "todos los derechos reservados", "tous droits réservés",
          "tutti i diritti riservati", "todos os direitos reservados", "wszelkie prawa zastrzeżone",
          "prawem autorskim", "alle rechten voorbehouden", "copyrighted property")),
        (r".{0,80}\b(?:findest du|finden sie|lesen sie|erfahren sie) (?:alles |mehr )?hier", ("hier",)),
        (r".{0,150}\b(?:pdf|docx?|xlsx?|pptx?)\s*[|(,]?\s*\d+(?:[.,]\d+)?\s*[kmg]i?b\b.{0,60}",
         ("pdf", "doc", "xls", "ppt")),
    ))


def _furniture_anywhere(line: str) -> bool:
    lowered = line.lower()
    return any(any(word in lowered for word in words) and pattern.match(line)
               for pattern, words in _FURNITURE_LINE_ANYWHERE)


# A caption that ends with the credit of its picture: "<who or what>. (Foto: X)",
# "<caption> © X".
_CAPTION_CREDIT = re.compile(
    r"(?:[(\[](?:foto|photo|bild|fot\.|credit|crédit|image|imagen|picture|zdjęcie)s?\s*:\s*[^()\[\]]{2,100}[)\]]"
    r"|[.!?]\s+(?:photo(?:graph)?|picture|image|foto|bild|credit|crédit|imagen)s?\s*:\s*[^.:]{2,80}"
    r"|\s©\s*[^©.]{2,80})\.?$",
    re.IGNORECASE,
)
_MAX_CAPTION = 300

# Appeals for money, membership or sign-ups name what they want and speak to
# the reader; reported speech ("…,” she said) is news, not an appeal.
_APPEAL_TOPIC = re.compile(
    r"\b(?:patreon|paypal|donat(?:e|es|ion|ions|ing)|contribut(?:e|ion|ions)|chip in|pledge|membership"
    r"|(?:become|be) a (?:patron|member|supporter|subscriber)|we need your help|readers like you"
    r"|(?:get|receive|read) (?:our|the) .{0,30}newsletter"
    r"|support(?:ing)? (?:us|our (?:work|journalism|reporting|mission|site)|independent \w+|this (?:site|blog|channel))"
    r"|(?:subscribe|subscription)\b.{0,40}\b(?:full story|edition|to (?:our|the) \w+)|(?:view|read) the full story"
    r"|subscribers? (?:also )?(?:receive|get)|sign up here|(?:newsletter|e-?mail|inbox)\b.{0,60}\bsign up"
    r"|follow (?:us|\S+(?: \S+){0,3}) on (?:twitter|facebook|instagram|telegram|youtube|tiktok|linkedin|whatsapp)"
    r"|(?:sign up|subscribe|join)\b.{0,40}\b(?:newsletter|inbox|e-?mail|briefing|digest|mailing list|channel|podcast)"
    r"|newsletter\b.{0,40}\b(?:sign\w*|subscri\w*|inbox))\b"
    # ... and in other languages; a newsletter, a subscription, an app or a
    # channel to follow, a log-in, an advertising disclosure.
    r"|\b(?:\w*newsletters?|abonnieren|posteingang|e-paper|unterstütze (?:uns|unsere?|[A-Z]\w*)"
    r"|unterstützen sie (?:uns|unsere?)|(?:jetzt|bitte) (?:spenden|unterstützen|abonnieren)|spenden sie"
    r"|suscr[ií]b(?:ete|irse|ase)|hazte (?:miembro|socio)|únete|apoya (?:a |nuestro|el periodismo)"
    r"|abonnez-vous|s'abonner|soutenez|faites un don|inscrivez-vous|abbonati|iscriviti|sostieni"
    r"|assine|inscreva-se|apoie|subskrypcj\w*|wesprzyj|zapraszamy do|abonneer"
    r"|(?:canal|kanal|channel|chaîne) (?:de |on |auf )?(?:telegram|youtube|whatsapp)"
    r"|(?:download|herunterladen|descarga)\w* .{0,40}apps?|apps? (?:for|für|para) (?:ios|android)"
    r"|nicht eingeloggt|eingeloggt sein,? um|already a subscriber|log in (?:for|to) (?:immediate )?(?:access|read|comment)"
    r"|affiliate|advertisers|we may (?:receive|earn) (?:a )?(?:compensation|commission))\b",
    re.IGNORECASE,
)
# "us" in lower case only: "US support" is news about the United States.
# The same in other languages, the polite German "Sie" capitalised only
# ("sie" is "she"), and without words that are also articles elsewhere.
_APPEAL_ADDRESS = re.compile(
    r"\b(?:[Yy]ou|[Yy]our|us|[Oo]ur|[Pp]lease|Sie|Ihnen|Ihre[mnrs]?|(?i:dich|dir|dein\w*|euch|euer\w*|uns|unser\w*"
    r"|usted|ustedes|nuestr[oa]s?|vous|votre|vos|nous|notre|você|nosso|nossa|cię|ciebie|nas|nasz\w*|jouw|jullie|ons|onze"
    r"|bitte|por favor|s'il vous plaît|prosimy))\b|[!?¡¿]")
# A label (short, not a sentence) that carries a counter or a "published" stamp.
_COUNTER = re.compile(
    r"[\d.,]+\s*[km]?\s*(?:views?|reads?|comments?|shares?|likes?)\b|\b(?:published|posted)(?:on|at|\b)",
    re.IGNORECASE,
)
_MAX_LABEL = 100
_META_LABEL = re.compile(r"^(?:published|posted|updated|by|on)\b\W*$", re.IGNORECASE)
_REPORTED_SPEECH = re.compile(
    r"\b(?:said|says|told|according to|added|wrote|urged|asked|announced|stated|noted|explained|warned|reported)\b",
    re.IGNORECASE,
)
# Report-a-comment dialogs and sign-up forms: text no article sentence carries.
_WIDGET_TEXT = re.compile(
    r"\b(?:community guidelines|thank you for (?:the|your) feedback|your feedback|enter your e-?mail"
    # the consent box of an embedded player or map
    r"|(?:klicken sie|click|cliquez)\b.{0,40}\b(?:button|schaltfläche|bouton)\b.{0,80}\b(?:laden|load|anzuzeigen|show"
    r"|aktivieren|afficher))\b",
    re.IGNORECASE,
)
# A word every _WIDGET_TEXT phrase holds: looking for these (a fast substring
# search) spares most lines the case-blind regex, a third of the cost of
# cleaning a page's text lines.
_WIDGET_WORDS = ("guidelines", "feedback", "mail", "button", "schaltfläche", "bouton")


def _might_be_widget(line: str) -> bool:
    lowered = line.lower()
    return any(word in lowered for word in _WIDGET_WORDS)


_MAX_APPEAL = 320
# A short line that offers a newsletter, a subscription, a feed or an app,
# or asks to follow the site, is a promotion whether or not it says "you".
_PROMOTION = re.compile(
    r"\b(?:\w*newsletters?|abonnieren|abonnez-vous|suscr[ií]b(?:ete|irse)|subscribe(?: now| today| here)?|rss[- ]feeds?"
    r"|(?:download|herunterladen|descarga)\w* .{0,40}\bapps?|apps? (?:for|für|para|pour) (?:ios|android)"
    r"|follow (?:us|\S+(?: \S+){0,3}) on (?:twitter|facebook|instagram|telegram|youtube|tiktok|linkedin|whatsapp))\b",
    re.IGNORECASE,
)
_MAX_PROMOTION = 120
# Where the article ends: what follows is comments...
_COMMENTS_MARKER = re.compile(
    r"^(?:\d+\s+)?(?:"
    r"comments?|\d+ (?:responses?|replies)|reader(?:s'?|'s)? comments?|your (?:voice|comments?|say)"
    r"|have your say|what do you think\??|join the (?:discussion|conversation)|post a comment"
    r"|(?:click|tap)(?: here)? to comment|(?:leave|add|write) a (?:reply|comment|response)"
    r"|kommentare?|kommentar (?:schreiben|verfassen|hinterlassen)|diskussion|leserkommentare"
    r"|comentarios?|deja (?:un|tu) comentario|commentaires?|laisser un commentaire|réagissez"
    r"|commenti|lascia un commento|comentários|deixe (?:um|seu) comentário|komentarze?|dodaj komentarz"
    r"|reacties|reageer|geef een reactie"
    r")(?:\s*\(\d+\))?" + _END,
    re.IGNORECASE,
)
# ... or related links and chrome.
END_MARKER = re.compile(
    r"^(?:\d+\s+)?(?:"
    r"related(?: posts| articles| stories| content| news| coverage| reading)?"
    r"|you (?:may|might) also (?:like|enjoy|be interested in)|(?:more|also) (?:from|on) (?:\S+ ?){1,8}"
    r"|(?:more|other) (?:stories|news|articles|posts)(?: today| from \S+(?: \S+){0,3})?"
    r"|recommended(?: for you| stories| reading)?|read next|up next"
    r"|what to read next|most (?:read|popular|viewed|shared)|trending(?: now| stories)?"
    r"|latest(?: news| stories| posts| articles)?|popular posts|further reading|about the author"
    r"|continue reading|share this(?: article| story| post)?|like this"
    r"|(?:ähnliche|verwandte|weitere|empfohlene|passende|beliebte|meistgelesene|neueste) (?:artikel|beiträge|themen"
    r"|nachrichten|meldungen|news|posts|stories)(?: (?:zum thema|aus (?:dem|der) \w+))?|auch interessant"
    r"|das könnte (?:sie|dich) (?:auch )?interessieren|schon gelesen\??|zum weiterlesen|mehr zum thema(?: \S+){0,4}"
    r"|lesen sie auch(?: die folgenden beiträge)?|top-themen|meistgelesen|das könnte ihnen auch gefallen"
    r"|articles? (?:similaires|liés|associés|recommandés)|(?:à|a) lire aussi|sur le même (?:sujet|thème)"
    r"|dans la même rubrique|les plus lus|vous aimerez aussi|(?:notas?|noticias?|artículos?|contenidos?) relacionad[oa]s?"
    r"|te puede interesar|le puede interesar|más (?:noticias|leídas|sobre(?: \S+){1,5})|lo más (?:leído|visto)"
    r"|también te puede gustar|(?:das|dieses?) (?:thema|artikel) könnte (?:sie|dich|euch) (?:auch )?interessieren"
    r"|mehr themen|weitere themen|temas|tags|schlagworte|stichworte|mehr zu(?:m|r)?(?: \S+){1,5}"
    r"|weiterführende(?:r)? links?|(?:audios? et )?vidéos? sur le (?:même )?sujet"
    r"|articoli correlati|potrebbe interessarti|leggi anche|i più letti|(?:notícias|artigos|matérias) relacionad[oa]s"
    r"|leia também|mais lidas|(?:podobne|powiązane) (?:artykuły|wpisy)|czytaj (?:też|także)|zobacz (?:też|także)"
    r"|najczęściej czytane|gerelateerde artikelen|lees ook|meest gelezen"
    r")" + _END,
    re.IGNORECASE,
)
_MIN_TEXT_BEFORE_END = 200
_MAX_TAIL_SHARE = 0.5
_SENTENCE_END = re.compile(r"[.!?。！？…\"”’)]$")
_MIN_DEDUP_LINE = 30
MAX_STUB = 60


def attribution_line(line: str, site_names: Iterable[str] = ()) -> bool:
    """Whether a whole line names where the text came from ("Via X",
    "(AFP) —", "Read more at …", "© AFP 2016"). A copyright line naming the
    site itself (one of `site_names`) is not an attribution."""
    line = line.strip()
    if len(line) > MAX_ATTRIBUTION:
        return False
    if _ATTRIBUTION.match(line):
        return True
    credit = _CREDIT.match(line)
    if credit is None or re.search(r"\d{4}\s*[-–]\s*\d{4}", line):
        return False
    if not _PUBLISHER.search(credit.group("name")):
        return False  # "© Noah Addis": a photographer's credit, not a source
    name = _squeezed(credit.group("name"))
    return not any(name and (name in own or own in name) for own in map(_squeezed, site_names) if own)


# What a copyright line must name to be a source credit: an agency, or a
# name made like a publication's.
_PUBLISHER = re.compile(
    r"^(?:" + _AGENCIES + r")$|\b(?:news|post|times|wire|press|herald|journal|media|tribune|gazette|daily|weekly"
    r"|chronicle|courier|dispatch|observer|review|agency|network|radio|tv|television|broadcasting|zeitung|presse"
    r"|nachrichten|agentur|noticias|diario|prensa|journal|quotidien|giornale|notizie|agencia|magazine)\b",
    re.IGNORECASE,
)


def _squeezed(name: str) -> str:
    """Letters and digits only: "Harbour Post" and harbourpost.example meet."""
    return "".join(ch for ch in normalize_line(name) if ch.isalnum())


def clean_text(text: str, *, titles: Iterable[str | None] = (), site_names: Iterable[str] = (),
               removals: Removals | None = None) -> tuple[str, list[str]]:
    """Remove furniture lines from extracted text and return (text,
    attribution lines found). `titles` are the headline's spellings (a line
    repeating it is dropped). Never raises; an all-furniture text comes back
    empty. See the module docstring for the rules; what each rule removed is
    added to `removals`."""
    removals = removals if removals is not None else Removals()
    site_names = list(site_names)
    title_keys = {normalize_line(t) for t in titles if t}
    lines = [" ".join(raw.split()) for raw in text.splitlines()]
    lines = [line for line in lines if line]
    meta = _meta_blocks(lines)
    attributions: list[str] = []
    kept: list[str] = []
    seen: set[str] = set()
    chars = 0
    for i, line in enumerate(lines):
        key = normalize_line(line)
        if attribution_line(line, site_names):
            attributions.append(line)
            continue
        if chars >= _MIN_TEXT_BEFORE_END and (_COMMENTS_MARKER.match(line) or END_MARKER.match(line)):
            rest = sum(map(len, lines[i:]))
            # Comments may run longer than the article; a box of related links
            # that long sits inside it, and the article goes on after it.
            if _COMMENTS_MARKER.match(line) or rest <= _MAX_TAIL_SHARE * (chars + rest):
                for cut in lines[i:]:
                    removals.add("after an end-of-article line", cut)
                break
            removals.add("related-links heading", line)
            continue
        if END_MARKER.match(line) and all(attribution_line(rest, site_names) for rest in lines[i + 1:]):
            # A related-links heading closing the text (its box of links gone): never the story's.
            removals.add("related-links heading", line)
            continue
        rule = ("byline block" if i in meta else "headline repeated" if key in title_keys
                else furniture_line_rule(line))
        if rule is None and len(key) >= _MIN_DEDUP_LINE:
            rule = "repeated line" if key in seen else None
            seen.add(key)
        if rule is not None:
            removals.add(rule, line)
            continue
        kept.append(line)
        chars += text_length(line)
    head = _label_run(kept)
    for line in kept[:head]:
        removals.add("labels before the text", line)
    kept = kept[head:]
    if kept:
        dateline = _DATELINE.match(kept[0])
        if dateline:
            attributions.append(dateline.group("credit").strip())
            kept[0] = kept[0][dateline.end():]
    return "\n".join(kept), attributions


def _label_run(lines: list[str]) -> int:
    """How many lines at the start are a run of labels: two to six short
    lines that are not sentences (a menu, a kicker and a date, a picture's
    credit and place) before the first paragraph. One such line alone is
    kept: it is as often the article's own subtitle or first heading."""
    run = 0
    while run < len(lines) and run <= MAX_LABEL_RUN and is_label(lines[run]):
        run += 1
    return run if 2 <= run <= MAX_LABEL_RUN and run < len(lines) else 0


MAX_LABEL_RUN = 6


def _meta_blocks(lines: list[str]) -> set[int]:
    """Indices of runs of label lines that hold a "published" stamp or a
    counter: the author name beside them is byline, not text."""
    drop: set[int] = set()
    run: list[int] = []
    for i, line in enumerate([*lines, "."]):  # the sentinel closes the last run
        if is_label(line):
            run.append(i)
            continue
        if any(_META_LABEL.match(lines[j]) or _COUNTER.search(lines[j]) for j in run):
            drop.update(run)
        run = []
    return drop


def furniture_line_rule(line: str) -> str | None:
    """Why a whole line of text is furniture, as a rule name, or None. A
    list item is judged by its text, without its bullet."""
    line = _BULLET.sub("", line, count=1)
    if _FURNITURE_LINE.match(line) or _FURNITURE_LINE_OTHER_LANGUAGES.match(line) or _furniture_anywhere(line):
        return "furniture line"
    if len(line) <= _MAX_CAPTION and _CAPTION_CREDIT.search(line):
        return "picture credit"
    if _might_be_widget(line) and _WIDGET_TEXT.search(line):
        return "widget text"
    if len(line) <= _MAX_LABEL and not _SENTENCE_END.search(line) and _COUNTER.search(line):
        return "counter"
    # The address first: few lines speak to the reader, and the topics' search costs the most.
    if (len(line) <= _MAX_APPEAL and _APPEAL_ADDRESS.search(line) is not None
            and _APPEAL_TOPIC.search(line) is not None and _REPORTED_SPEECH.search(line) is None):
        return "appeal"
    if len(line) <= _MAX_PROMOTION and _PROMOTION.search(line) and _REPORTED_SPEECH.search(line) is None:
        return "promotion"
    return None


_BULLET = re.compile(r"^[-•*·]\s+")


def is_label(line: str) -> bool:
    """A short line that is not a sentence: a menu item, a name, a label, a teaser."""
    return len(line) <= MAX_STUB and not _SENTENCE_END.search(line)





