"""The held-out page set of `bench/holdout.py`: article texts, CMS page
templates and syndicated copies, all written for this benchmark and kept apart
from the sample web (tests/sampleweb) the product is tuned on.

- Texts: people, places and events are invented. Besides the sample web's
  straight news stories (used as bodies), an opinion column with long block
  quotes, a short brief, a live blog, a listicle, and the hard negatives: two
  articles sharing a long quoted statement, a wire lead reused by two other
  stories, a follow-up that quotes an earlier story, a weekly roundup of first
  paragraphs, templated weather briefs.
- Templates (`TEMPLATES`): page furniture modelled on how WordPress (classic
  theme + Jetpack, JNews infinite scroll, tagDiv + wpDiscuz), Drupal, Blogger,
  an Arc-style news site, AMP, a Medium-like platform, a Disqus-threaded local
  site, a live blog, a CSS-in-JS site with hashed class names and an infinite
  scroll with h2 headings mark up an article. Every line of furniture a
  template plants is recorded (`Furniture`) so a leak can be named.
- Copies (`COPY_KINDS`, `make_copy`): datelines, "Via"/"H/T" lines, editor's
  notes, dropped/merged/split paragraphs, spelling, quotes and number styles,
  captions, update notes, sentence trims, rewritten ledes, blog commentary,
  excerpts of 1-4 paragraphs, trimmed copies, tracking-parameter and AMP URLs.

A story is a tuple of blocks: ("p", text), ("h2", text) or ("quote", text).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Story:
    """One article as its author wrote it. `group` names the event shared by
    different articles (never to be merged); `published` is ISO 8601."""

    key: str
    title: str
    author: str
    published: str
    lang: str
    group: str
    blocks: tuple[tuple[str, str], ...]

    @property
    def paragraphs(self) -> list[str]:
        return [text for _, text in self.blocks]


def _p(*texts: str) -> tuple[tuple[str, str], ...]:
    return tuple(("p", t) for t in texts)


OPINION_LIBRARY = Story(
    key="opinion-library-hours",
    title="A library that shuts at five is a library for somebody else",
    author="Ruth Okonkwo-Bell",
    published="2024-05-11T07:30:00+01:00",
    lang="en",
    group="library-hours",
    blocks=(
        ("p", "Every council that has ever cut a library's opening hours has said the same thing: the building "
              "stays, the books stay, the staff stay, and only the clock changes. It sounds like the gentlest "
              "possible saving. It is nothing of the kind, and the people of Brannock Vale are about to find out why."),
        ("p", "From June, the central library on Tanner Row will close at five o'clock on weekdays instead of "
              "eight, and will not open at all on Sundays. The council's finance committee expects to save a "
              "little under 140,000 pounds a year. In a budget of nearly half a billion, that is a rounding error "
              "with a press release attached."),
        ("p", "I went to Tanner Row on a Tuesday evening last month to see who would lose out. I counted 61 people "
              "between six and seven o'clock. Most of them were not there to borrow novels."),
        ("quote", "\"I come straight from the warehouse because the flat is too small to study in,\" said a man in "
                  "his thirties working through an accountancy textbook by the window. \"My shift finishes at half "
                  "four. If this place shuts at five, I have thirty minutes a day, and by the time I have found a "
                  "seat it is time to pack up again. That is not a library any more, that is a waiting room.\""),
        ("p", "Near the periodicals, two sisters were filling in a housing application on one of the public "
              "computers. A retired joiner was reading the local paper because, he told me, he could no longer "
              "afford to have it delivered. Three teenagers were doing homework at the long table under the "
              "stairs, the only table in the building with enough sockets for their laptops."),
        ("quote", "\"People imagine the evening crowd is a luxury, students with nowhere better to be,\" one of the "
                  "librarians told me, asking not to be named because staff have been told not to speak to the "
                  "press. \"It is the opposite. The people who come after five are the ones who work during the "
                  "day, or look after someone during the day. Closing early does not spread the cut evenly. It "
                  "lands on exactly the people who have no other quiet room in their lives.\""),
        ("p", "The council's own survey, published with the committee papers, says as much if you read past the "
              "summary. Evening visitors are more likely to be in work, more likely to rent, and twice as likely "
              "to say they have no reliable internet at home. The survey was used to argue that evening use is "
              "\"concentrated in a small number of regular users\". That is a strange way to describe the people "
              "a public service exists for."),
        ("p", "There are alternatives. Neighbouring Corrin kept its evening hours by moving two branches into a "
              "shared building with the job centre and splitting the heating bill. Others have let volunteer "
              "groups run quiet study sessions after the lending desk closes. None of this is glamorous, and none "
              "of it has been tried here."),
        ("quote", "\"We looked at every option and this was the least damaging,\" the council's cabinet member for "
                  "communities, Gareth Hollins, said when the decision was announced. \"Nobody is losing their "
                  "library. We are asking people to use it at different times.\""),
        ("p", "That last sentence is the whole problem. People cannot choose to use a library at different times "
              "when their time is not theirs to choose. A library that is only open while most of its readers are "
              "at work has not been saved. It has simply been handed to somebody else."),
    ),
)

BRIEF_ROCKFALL = Story(
    key="brief-pellin-rockfall",
    title="Coast road near Pellin shut after overnight rockfall",
    author="Staff reporter",
    published="2024-02-19T10:05:00+00:00",
    lang="en",
    group="pellin-rockfall",
    blocks=_p(
        "The coast road between Pellin and Marrow Head was closed on Monday morning after several tonnes of rock "
        "fell onto both lanes overnight, cutting the main link between the two villages and forcing drivers onto "
        "a detour of more than 20 miles through the hills.",
        "Nobody was hurt. A bus driver who reached the fall shortly after 5 a.m. stopped in time and alerted the "
        "county highways team, which sent engineers to inspect the cliff at first light. They found a second "
        "section of loose rock above the road and said it would have to be brought down in a controlled way "
        "before any clearance work could begin safely.",
        "The county council said the road was likely to stay shut for at least a week. School buses will use the "
        "inland route, and the council asked residents of Marrow Head to allow extra time for journeys to the "
        "surgery and the pharmacy in Pellin. Heavy rain in January is thought to have loosened the slope, which "
        "was last stabilised with netting in 2009.",
    ),
)

LIVE_STORM = Story(
    key="live-storm-ardent",
    title="Storm Ardent live: gusts of 90mph hit northern coast as ferries cancelled",
    author="Live desk: Tomasz Wren and Alys Perrin",
    published="2024-11-03T06:40:00+00:00",
    lang="en",
    group="storm-ardent",
    blocks=_p(
        "06:40 GMT — Good morning and welcome to our coverage of Storm Ardent, which reached the northern coast "
        "overnight. The weather service has an amber wind warning in place until 6 p.m., with gusts of up to "
        "90mph possible on exposed headlands. We will bring you updates on travel, power and schools all day.",
        "07:02 GMT — All sailings from Kessock harbour have been cancelled until at least midday. The ferry "
        "operator says passengers booked on the morning crossings can transfer to any sailing in the next five "
        "days without paying a fee, and that it will review the afternoon timetable at 11 a.m.",
        "07:25 GMT — The electricity network operator says about 18,000 homes are without power, most of them in "
        "the hill villages north of Drummore. Engineers are on standby but cannot climb poles while gusts stay "
        "above 60mph, so some customers may be without supply until this evening.",
        "07:51 GMT — A reader in Tarvie has sent us a photograph of a fallen beech tree lying across the main "
        "street, narrowly missing a parked van. Police have asked people to avoid the village centre until the "
        "tree has been cleared.",
        "08:14 GMT — Schools update: the regional education office has confirmed that 43 schools will stay closed "
        "today. Parents are being told to check the council website, which is listing closures school by school "
        "and will be updated again at lunchtime.",
        "08:47 GMT — The highest gust recorded so far is 87mph at the weather station on Carn Point, according to "
        "provisional figures. Forecasters say the strongest winds should move east through the morning, with "
        "conditions slowly easing on the west coast from early afternoon.",
        "09:20 GMT — Rail services between Drummore and the coast have been suspended after debris was found on "
        "the line near Ballintrae. The rail operator says a replacement bus service is being arranged but is "
        "warning of long waits because many roads in the area are also blocked.",
        "09:58 GMT — The regional first minister, Eilidh Carran, has chaired a meeting of the resilience committee. "
        "In a short statement afterwards she thanked emergency crews and asked people not to travel unless their "
        "journey was essential, adding that the worst of the storm should be over by nightfall.",
        "10:31 GMT — Power update: the number of homes without electricity has fallen to about 15,500 after crews "
        "restored supply in parts of Drummore town. The network operator has opened a welfare centre in the "
        "community hall at Lenach, offering hot drinks and phone charging.",
    ),
)

LISTICLE_MARKET = Story(
    key="list-aarvik-night-market",
    title="Seven things to know before the Aarvik night market returns",
    author="Frida Holm",
    published="2024-06-01T12:00:00+02:00",
    lang="en",
    group="aarvik-night-market",
    blocks=(
        ("p", "After two summers away while the harbour front was rebuilt, the Aarvik night market opens again on "
              "Friday with more than 120 stalls along the new promenade. If you have never been, or have only been "
              "in the old car park days, here is what has changed and what has not."),
        ("h2", "1. It starts later than you think"),
        ("p", "Stalls open at seven in the evening and the first hour is mostly setting up. The market is at its "
              "busiest between nine and eleven, and the cooked food stalls are allowed to trade until one in the "
              "morning on Fridays and Saturdays."),
        ("h2", "2. Bring a card, but also some cash"),
        ("p", "The organisers say nearly every trader now takes cards, but the smaller stalls selling crafts and "
              "second-hand books often prefer coins for purchases under ten kroner, and the phone signal on the "
              "promenade is patchy when the crowds are thick."),
        ("h2", "3. The fish soup stall has moved"),
        ("p", "Regulars will want to know that the Lund family's fish soup, which queued past the ticket machines "
              "for years, is now at the far end near the old customs house. The family says the recipe has not "
              "changed, though the bowls are now made of card rather than plastic."),
        ("h2", "4. There is finally somewhere to sit"),
        ("p", "The rebuilt promenade has long wooden benches every forty metres and a covered seating area by the "
              "ferry steps, which means you no longer have to eat standing up next to a bin. Seats fill quickly "
              "after ten, so arrive early if you need one."),
        ("h2", "5. Getting there is easier by tram"),
        ("p", "The new lakeside tram stops at Strandgata, a five-minute walk from the first stalls, and runs until "
              "half past midnight. Parking on the harbour front has been cut to a handful of disabled bays, and the "
              "council has warned that wardens will be out on market nights."),
        ("h2", "6. Dogs are welcome, barbecues are not"),
        ("p", "Dogs on short leads are allowed on the promenade. Portable barbecues and open flames are banned "
              "anywhere in the market area after a small fire on the old quay two summers ago, and security staff "
              "have been told to enforce the rule."),
        ("h2", "7. It will not be there every week"),
        ("p", "This year the market runs on alternate Fridays and Saturdays until the end of August, with a final "
              "three-night festival weekend in early September. The full calendar is posted on boards at both ends "
              "of the promenade and at the tourist office."),
    ),
)

# -- two different articles that quote the same long ministry statement --------------

SARN_STATEMENT = (
    "\"The reservoirs serving the Sarn basin are at their lowest level for the time of year since records "
    "began, and without significant rainfall in the coming weeks we will have no choice but to restrict "
    "abstraction. Any restrictions will be introduced in stages, with drinking water protected at every "
    "stage, and we will give businesses and farmers at least fourteen days' notice before each step,\" "
    "the Ministry of Water said in a statement on Tuesday."
)

SARN_FARMERS = Story(
    key="sarn-farmers-brace",
    title="Sarn basin farmers brace for water limits as reservoirs fall",
    author="Idris Maelor",
    published="2024-07-23T08:00:00+00:00",
    lang="en",
    group="sarn-drought",
    blocks=_p(
        "Farmers across the Sarn basin are preparing for the first limits on irrigation in almost twenty years "
        "after a dry spring and the hottest June on record left reservoirs in the region barely a third full.",
        SARN_STATEMENT,
        "For vegetable growers on the valley floor, where most fields are watered from licensed boreholes and "
        "river intakes, the timing could hardly be worse. Potatoes, onions and salad crops are at the stage "
        "where a week without water can halve the harvest.",
        "\"We have already cut back to watering at night and we have stopped planting the late lettuces,\" said "
        "Carys Bevan, who grows vegetables on 80 hectares near Llanfor. \"If they stop us altogether in August, "
        "we lose the onions, and the onions are what pay the wages.\"",
        "The farmers' union has asked the ministry to prioritise crops already in the ground over new planting "
        "and to allow growers to trade unused abstraction allowances with neighbours. The ministry said it was "
        "considering both requests.",
        "Livestock farmers on the higher ground face a different problem. Many upland springs that normally run "
        "all summer have dried up, and some sheep farmers are already carting water to their flocks by trailer "
        "twice a day.",
        "The last irrigation limits in the basin, in 2006, lasted eleven weeks and were lifted only after heavy "
        "storms in early September. Growers say the crops and the markets have both changed since then, with "
        "more land under high-value salad crops sold to supermarkets on fixed contracts.",
    ),
)

SARN_BREWERS = Story(
    key="sarn-brewers-prices",
    title="Brewers warn of dearer pints if Sarn water rationing goes ahead",
    author="Nia Prothero",
    published="2024-07-24T14:20:00+00:00",
    lang="en",
    group="sarn-drought",
    blocks=_p(
        "Independent brewers in the Sarn valley have warned that the price of a pint could rise by as much as "
        "twenty pence if the government restricts the water they draw from the river, as officials signalled "
        "this week they might.",
        "Brewing is thirsty work. The valley's eleven breweries use between four and seven litres of water for "
        "every litre of beer they sell, most of it for cleaning and cooling rather than in the beer itself, and "
        "several draw directly from the river under licences that date back decades.",
        SARN_STATEMENT,
        "\"Fourteen days is not long when your tanks are full and your customers expect deliveries,\" said Owain "
        "Pryce, head brewer at the Afon Ddu brewery in Pontcarn, which employs 23 people. \"We can recycle some "
        "cooling water, but we cannot brew without cleaning, and we cannot clean without water.\"",
        "Several breweries said they had brought forward investment in water recovery equipment, which can cut "
        "consumption by about a fifth, but the kits cost upwards of 60,000 pounds and suppliers are quoting "
        "delivery times of three months or more.",
        "The regional hospitality association said pubs were already struggling with energy costs and would "
        "find it hard to absorb another increase. It has asked the ministry to treat food and drink producers in "
        "the same category as farms when deciding the order in which limits are applied.",
        "A ministry spokeswoman said no decision on restrictions had yet been taken and that the department "
        "would meet business groups from the valley next week.",
    ),
)

# -- one wire lead reused by two other stories that then go their own way -----------

DORROW_LEAD_1 = (
    "An earthquake of magnitude 5.8 struck the mountainous Dorrow province early on Thursday, damaging "
    "hundreds of homes, bringing down power lines and triggering landslides that blocked several roads, "
    "the national seismology institute and local officials said."
)
DORROW_LEAD_2 = (
    "The quake hit at 3:17 a.m. at a depth of about 12 kilometres, with its epicentre near the market town of "
    "Velic, the institute said. It was followed by more than 40 aftershocks, the strongest of magnitude 4.6, "
    "and was felt as far away as the capital, about 230 kilometres to the east."
)

DORROW_WIRE = Story(
    key="dorrow-quake-wire",
    title="Magnitude 5.8 quake damages homes in mountainous Dorrow",
    author="Wire staff",
    published="2024-09-12T05:10:00+00:00",
    lang="en",
    group="dorrow-quake",
    blocks=_p(
        DORROW_LEAD_1,
        DORROW_LEAD_2,
        "Provincial governor Anton Reshi said at least 27 people had been taken to hospital with injuries, most "
        "of them cuts and fractures caused by falling masonry. There were no confirmed deaths by mid-morning, "
        "but rescue teams were still checking villages that could not be reached by road.",
        "\"Many of the houses in the hill villages are old stone buildings and they have not done well,\" Reshi "
        "told state television. \"Our priority is to reach every village today and make sure nobody is trapped.\"",
        "Television pictures showed collapsed garden walls, cracked facades and a minaret with its top section "
        "missing in Velic, where residents spent the rest of the night in the streets and in cars.",
        "The government said it was sending army engineers and tents for about 2,000 people, and that schools "
        "across the province would be closed on Thursday and Friday while buildings were inspected.",
        "Dorrow sits on a fault system that produces moderate earthquakes every few years. The last major quake "
        "in the region, of magnitude 6.4 in 1987, killed more than 300 people and led to tighter building "
        "rules that apply only to homes built since then.",
    ),
)

DORROW_LOCAL = Story(
    key="dorrow-quake-kestel-schools",
    title="Kestel schools stay shut as engineers check quake damage",
    author="Mira Dobrev",
    published="2024-09-12T16:45:00+00:00",
    lang="en",
    group="dorrow-quake",
    blocks=_p(
        DORROW_LEAD_1,
        DORROW_LEAD_2,
        "In Kestel, the largest town in the north of the province, the damage was lighter but the worry was not. "
        "Parents gathered outside the gates of the Ivo Andric primary school on Thursday morning after cracks "
        "appeared in the wall of its gymnasium, and the headteacher sent home the few pupils who had arrived.",
        "The town's mayor, Zora Petek, said municipal engineers had inspected nine of the town's fourteen school "
        "buildings by the afternoon. Two would need repairs before they could reopen, she said, and pupils from "
        "those schools would be taught in the cultural centre and the sports hall from Monday.",
        "\"I would rather they lose a few days of lessons than sit under a ceiling nobody has looked at,\" said "
        "Dragan Velj, whose two children attend the primary school. \"We felt the whole block move. The children "
        "still do not want to sleep in their own beds.\"",
        "The regional education office said exams planned for next week at the Kestel secondary school would be "
        "postponed, and that it had asked psychologists from the capital to visit schools in the worst-affected "
        "areas once they reopen.",
        "Shops in the town centre reopened by midday, though several on Market Street kept their shutters down "
        "after goods fell from shelves and windows cracked. The town's only petrol station had long queues "
        "throughout the afternoon as drivers filled up in case roads to the south stayed closed.",
    ),
)

DORROW_BRIEF = Story(
    key="dorrow-quake-football-postponed",
    title="Dorrow derby postponed after earthquake",
    author="Sports desk",
    published="2024-09-12T11:30:00+00:00",
    lang="en",
    group="dorrow-quake",
    blocks=_p(
        DORROW_LEAD_1,
        "Saturday's league match between Velic Rovers and Dorrow City has been postponed because the stand at "
        "Velic's ground needs a full structural inspection, the football federation said on Thursday. A new date "
        "will be set once engineers have finished their report.",
        "Rovers said their players and staff were all safe. The club has opened its clubhouse as a collection "
        "point for blankets, bottled water and tinned food for families who have left their homes, and asked "
        "supporters to bring donations from Friday morning.",
    ),
)

# -- a follow-up that quotes two paragraphs of an earlier story ----------------------


def aarvik_followup(earlier_paragraphs: list[str]) -> Story:
    """A follow-up on the Aarvik tram a month later, quoting the earlier
    story's first and third paragraphs as it recalls the opening."""
    first, third = earlier_paragraphs[0], earlier_paragraphs[2]
    return Story(
        key="aarvik-tram-first-month",
        title="Aarvik's lakeside tram carries twice the forecast in its first month",
        author="Jonas Eriksen",
        published="2024-09-25T09:00:00+02:00",
        lang="en",
        group="aarvik-tram",
        blocks=(
            ("p", "A month after it opened, Aarvik's lakeside tram is carrying almost twice as many passengers "
                  "as planners expected, and the operator says it is struggling to find enough drivers to run "
                  "the extra services that commuters are asking for."),
            ("p", "Figures released by the city on Tuesday show an average of 31,800 boardings a day in the first "
                  "four weeks, against a forecast of about 17,000 for the first year. Peak trams between Nordhavn "
                  "and the centre have regularly left passengers behind on the platform."),
            ("p", "When the line opened, we reported:"),
            ("quote", first),
            ("quote", third),
            ("p", "The operator has asked the council for permission to run trams every four minutes at peak "
                  "times instead of six, which would need eight more drivers. Training a tram driver takes about "
                  "eleven weeks, and the company says it has recruited four so far."),
            ("p", "Some of the new passengers have come from the buses. Ridership on the two lakeside bus routes "
                  "fell by 38 percent in September, and the council will consider merging them from January. "
                  "Bus drivers' representatives said they would oppose any cut that led to job losses."),
            ("p", "Shopkeepers on Strandgata, who complained bitterly about the construction, report a cautious "
                  "recovery. The traders' association said footfall in September was up by about a quarter on "
                  "the same month last year, though several members said most tram riders were passing through "
                  "rather than stopping to shop."),
            ("p", "The decision on the extension to the hospital at Vika is now expected in November. Councillors "
                  "from two opposition parties said the first month's figures made the case for building it "
                  "sooner, while the finance committee has asked for a revised cost estimate first."),
        ),
    )


# -- a weekly roundup: the first paragraph of several different articles ------------


def weekly_roundup(leads: list[tuple[str, str]]) -> Story:
    """A roundup page: a short introduction, then for each (headline, first
    paragraph) the headline, the paragraph and a pointer to the full story."""
    blocks: list[tuple[str, str]] = [
        ("p", "It was a week of records, recoveries and a few surprises. Here are the stories our readers spent "
              "the most time with, in case you missed them, with links to the full reports."),
    ]
    for headline, lead in leads:
        blocks += [("h2", headline), ("p", lead), ("note", "Read the full story on our news pages.")]
    blocks.append(("p", "That is all for this week. The roundup returns next Saturday morning, and you can have "
                        "it sent to your inbox by signing up on our newsletter page."))
    return Story(
        key="weekly-roundup",
        title="The week in review: frogs, frost and a marathon record",
        author="Weekend editor",
        published="2024-04-20T08:00:00+00:00",
        lang="en",
        group="roundup",
        blocks=tuple(blocks),
    )


# -- templated briefs: one newsroom template, different events (never copies) --------

def _warning(key: str, region: str, towns: str, level: str, start: str, end: str, gust: int, rain: int,
             roads: str, day: str, published: str) -> Story:
    return Story(
        key=key, title=f"{level.capitalize()} weather warning for {region} on {day}", author="Weather desk",
        published=published, lang="en", group="weather-warnings",
        blocks=_p(
            f"The national weather service has issued a {level} warning for wind and rain covering {region}, "
            f"in force from {start} until {end} on {day}.",
            f"Gusts of up to {gust}mph are possible on exposed coasts and high ground, and between {rain} and "
            f"{rain + 20} millimetres of rain could fall in places, forecasters said. Towns including {towns} "
            f"are expected to see the worst of the conditions.",
            f"The service said there was a chance of power cuts and of damage to buildings, and that travel "
            f"on {roads} was likely to be disrupted. Drivers were advised to check before setting out.",
            "Residents are asked to secure garden furniture and bins, and to keep away from sea fronts and "
            "river banks while the warning is in force. Updates will be posted on the service's website.",
        ),
    )


WARNINGS = (
    _warning("warning-north-coast", "the north coast and the islands", "Kessock, Tarvie and Carn Point", "amber",
             "6 a.m.", "9 p.m.", 80, 30, "the coast road and the island ferries", "Saturday",
             "2024-11-01T16:00:00+00:00"),
    _warning("warning-southern-uplands", "the southern uplands", "Pellin, Marrow Head and Brannock", "yellow",
             "noon", "midnight", 65, 20, "the A-roads over the moors", "Tuesday", "2024-11-18T15:30:00+00:00"),
    _warning("warning-lakes", "the lakes and the eastern valleys", "Aarvik, Lindholm and Vika", "amber",
             "3 a.m.", "6 p.m.", 75, 40, "the lakeside road and the rail line to the coast", "Thursday",
             "2024-12-04T17:10:00+00:00"),
)

OWN_STORIES: tuple[Story, ...] = (
    OPINION_LIBRARY, BRIEF_ROCKFALL, LIVE_STORM, LISTICLE_MARKET,
    SARN_FARMERS, SARN_BREWERS, DORROW_WIRE, DORROW_LOCAL, DORROW_BRIEF, *WARNINGS,
)


# ==================================================================================
# Page furniture, written for this benchmark. Every line a template plants is
# recorded, so a leak into the extracted text can be named.
# ==================================================================================

import json  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
from datetime import datetime  # noqa: E402
from html import escape  # noqa: E402

COMMENTS: tuple[tuple[str, str], ...] = (
    ("Petra from Saltmarsh", "I live two streets from where this happened and nobody from the council has knocked "
                             "on a single door to explain what comes next. Reporting like this is the only reason "
                             "most of us know anything at all about the plans."),
    ("quietharbour", "The numbers in the fourth paragraph do not add up to me. If the budget was already agreed "
                     "last spring, why are we only hearing about the shortfall now, after the contracts were signed?"),
    ("Declan W.", "My father worked there for thirty years and he would have laughed at the idea that anyone in "
                  "charge was surprised by this. The warning signs were obvious to everyone on the shop floor."),
    ("M. Ferrante", "Balanced piece, but I wish you had asked the other side the same hard questions. Every "
                    "quote from the officials is allowed to stand without a single follow-up."),
    ("tidewatcher42", "Same thing happened in our town a few years back and it took the best part of a decade to "
                      "recover. Good luck to everyone affected, you are going to need patience and a good lawyer."),
    ("Annika S.", "Can the paper follow this up in six months? These stories always vanish once the cameras "
                  "leave and then nobody checks whether any of the promises were actually kept."),
)

CAPTIONS: tuple[tuple[str, str], ...] = (
    ("Residents watch from the pavement as work continues into the evening.", "Photo: Helga Strand / Northwind Images"),
    ("A sign posted at the entrance on Monday morning.", "Photo: Ben Achterberg for the Courier"),
    ("The site seen from the hill road, looking south.", "Image: Kestrel Aerial"),
    ("Officials spoke to reporters after the meeting.", "Photograph: Lior Tamsin / Pressbild"),
)

# Headlines and lead sentences of stories that are not on the page: the
# related-posts, trending and most-read lists every template carries.
TEASERS: tuple[tuple[str, str], ...] = (
    ("Council votes to keep ferry subsidy for another two years",
     "Councillors voted by a narrow margin to keep paying the island ferry subsidy, ending months of uncertainty for the crossing."),
    ("Hospital car park charges to rise from April",
     "Visitors to the district hospital will pay more to park from the spring, after the health board approved new tariffs."),
    ("Teenage chess champion beats grandmaster in simultaneous match",
     "A fifteen-year-old from the east of the city took a full point from a visiting grandmaster during an exhibition evening."),
    ("Old cinema on Bridge Street sold to developer",
     "The shuttered picture house that has stood empty for a decade has been bought by a housing company, its agents confirmed."),
    ("Why the harbour wall keeps cracking, explained",
     "Engineers have given three different reasons for the repeated damage to the harbour wall, and they do not all agree."),
    ("Bakery chain to open twelve new branches",
     "A regional bakery chain plans to open a dozen new shops over the next eighteen months, creating about ninety jobs."),
    ("Rail fares frozen for students this autumn",
     "Students travelling to colleges in the region will not see a fare rise this year, the transport authority has announced."),
    ("Heron colony returns to the reservoir islands",
     "Birdwatchers have counted more than forty nests on the reservoir islands, the first breeding herons there in years."),
)


class Furniture:
    """The boilerplate a template plants, recorded as it is planted.

    `line(text)`: a distinctive line (checked as a substring of the text);
    `stub(text)`: a short label (checked as a whole line of the text)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.stubs: list[str] = []

    def line(self, text: str) -> str:
        self.lines.append(text)
        return escape(text)

    def stub(self, text: str) -> str:
        self.stubs.append(text)
        return escape(text)

    def teasers(self, rng: random.Random, k: int, *, excerpt: bool) -> list[tuple[str, str]]:
        picked = rng.sample(TEASERS, k)
        for head, lead in picked:
            self.lines.append(head)
            if excerpt:
                self.lines.append(lead)
        return picked

    def comments(self, rng: random.Random, k: int) -> list[tuple[str, str]]:
        picked = rng.sample(COMMENTS, k)
        self.lines.extend(text for _, text in picked)
        return picked


@dataclass
class Render:
    """What a template needs to draw one page. `blocks` are the article's
    blocks plus copy furniture: ("note", text) for a "Via X"/editor's note
    line and ("figure", caption + "\\x00" + credit) for an added picture."""

    story_title: str
    author: str
    published: str
    lang: str
    blocks: list[tuple[str, str]]
    site: str
    url: str
    canonical: str
    rng: random.Random
    more: list[Story] | None = None  # further stories on the same page (infinite scroll)

    def date(self, fmt: str) -> str:
        return datetime.fromisoformat(self.published).strftime(fmt)


@dataclass
class HoldoutPage:
    """One built page and what the benchmark knows about it."""

    url: str
    html: str
    template: str
    story_key: str
    title: str
    published: str
    body: list[tuple[str, str]]  # the article's own blocks (what extraction must keep)
    boiler_lines: list[str]
    boiler_stubs: list[str]
    foreign: list[str]  # text of other articles on the page (first-article-only)


def _figure(block: str, f: Furniture, cls: str = "wp-caption") -> str:
    caption, credit = block.split("\x00")
    return (f'<figure class="{cls}"><img src="/img/{len(caption)}.jpg" alt="">'
            f'<figcaption>{escape(caption)} <span class="credit">{f.line(credit)}</span></figcaption></figure>')


def body_html(r: Render, f: Furniture, *, p_attr=lambda i: "", inserts: dict[int, str] | None = None,
              quote_cls: str = "wp-block-quote") -> str:
    """The article blocks as HTML; `inserts[i]` goes after the i-th block."""
    out = []
    inserts = inserts or {}
    for i, (kind, text) in enumerate(r.blocks):
        if kind == "p":
            out.append(f"<p{p_attr(i)}>{escape(text)}</p>")
        elif kind == "h2":
            out.append(f"<h2>{escape(text)}</h2>")
        elif kind == "quote":
            out.append(f'<blockquote class="{quote_cls}"><p>{escape(text)}</p></blockquote>')
        elif kind == "note":
            out.append(f"<p><em>{escape(text)}</em></p>")
        elif kind == "figure":
            out.append(_figure(text, f))
        if i in inserts:
            out.append(inserts[i])
    return "\n".join(out)


def _json_ld(r: Render, kind: str = "NewsArticle") -> str:
    data = {"@context": "https://schema.org", "@type": kind, "headline": r.story_title,
            "datePublished": r.published, "author": [{"@type": "Person", "name": r.author}],
            "publisher": {"@type": "Organization", "name": r.site}, "mainEntityOfPage": r.canonical}
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def _cookie(f: Furniture, cls: str) -> str:
    return (f'<div class="{cls}" role="dialog"><p>{f.line("We and our partners keep small files on your device to count visits, remember your settings and show adverts that may interest you.")} '
            f'{f.line("You can change your mind at any time from the privacy link at the foot of every page.")}</p>'
            f'<button>{f.stub("Accept all")}</button> <button>Manage choices</button></div>')


def _n(r: Render) -> int:
    return len(r.blocks)


def _mid(r: Render, frac: float) -> int:
    return max(0, min(_n(r) - 2, int(_n(r) * frac)))


# ---------------------------------------------------------------- WordPress, classic theme + Jetpack

def wp_classic(r: Render, f: Furniture) -> str:
    teasers = f.teasers(r.rng, 3, excerpt=True)
    comments = f.comments(r.rng, 3)
    related = "".join(
        f'<div class="jp-relatedposts-post"><h4 class="jp-relatedposts-post-title"><a href="#">{escape(h)}</a></h4>'
        f'<p class="jp-relatedposts-post-excerpt">{escape(l)}</p><p class="jp-relatedposts-post-context">In &quot;News&quot;</p></div>'
        for h, l in teasers)
    clist = "".join(
        f'<li class="comment even thread-even depth-1"><article class="comment-body"><footer class="comment-meta">'
        f'<div class="comment-author vcard"><b class="fn">{escape(n)}</b> <span class="says">says:</span></div>'
        f'<div class="comment-metadata"><time>{r.date("%B %d, %Y")} at 9:{10 + i} pm</time></div></footer>'
        f'<div class="comment-content"><p>{escape(t)}</p></div><div class="reply"><a class="comment-reply-link" href="#">Reply</a></div></article></li>'
        for i, (n, t) in enumerate(comments))
    donation = (f'<div class="wp-block-group donation-appeal"><p>{f.line("Independent local reporting costs money to produce. If this story was useful to you, please chip in from as little as three pounds a month.")}</p>'
                f'<div class="wp-block-buttons"><a class="wp-block-button__link" href="/support">Support us</a></div></div>')
    return f"""<!DOCTYPE html><html lang="{r.lang}"><head><meta charset="utf-8">
<title>{escape(r.story_title)} &#8211; {escape(r.site)}</title><link rel="canonical" href="{escape(r.canonical)}">
<meta property="og:title" content="{escape(r.story_title)}"><meta property="og:site_name" content="{escape(r.site)}">
<meta property="article:published_time" content="{r.published}"><meta name="author" content="{escape(r.author)}">
</head><body class="post-template-default single single-post postid-4821 single-format-standard">
{_cookie(f, "cookie-law-info-bar")}
<header id="site-header" class="header-footer-group"><div class="header-titles"><div class="site-title"><a href="/">{escape(r.site)}</a></div>
<div class="site-description">{f.line("News from the valley towns since the week we could afford a printer")}</div></div>
<nav class="primary-menu-wrapper"><ul class="primary-menu"><li><a href="/">Home</a></li><li><a href="/news/">News</a></li><li><a href="/sport/">Sport</a></li><li><a href="/whats-on/">What's on</a></li></ul></nav></header>
<main id="site-content"><article class="post-4821 post type-post status-publish format-standard hentry category-news">
<header class="entry-header has-text-align-center"><div class="entry-categories"><a href="/news/" rel="category tag">News</a></div>
<h1 class="entry-title">{escape(r.story_title)}</h1>
<div class="post-meta-wrapper"><ul class="post-meta"><li class="post-author meta-wrapper">By <a href="/author/x/">{escape(r.author)}</a></li>
<li class="post-date meta-wrapper"><a href="#"><time datetime="{r.published}">{r.date("%B %d, %Y")}</time></a></li>
<li class="post-comment-link meta-wrapper"><a href="#comments">{len(comments)} Comments</a></li></ul></div></header>
<div class="post-inner thin"><div class="entry-content">
{body_html(r, f)}
{donation}
<div class="sharedaddy sd-sharing-enabled"><div class="robots-nocontent sd-block sd-social sd-social-icon-text sd-sharing"><h3 class="sd-title">{f.stub("Share this:")}</h3>
<div class="sd-content"><ul><li><a class="share-twitter sd-button" href="#"><span>{f.line("Click to share on X (opens a new window)")}</span></a></li>
<li><a class="share-facebook sd-button" href="#"><span>{f.line("Click to share on Facebook (opens a new window)")}</span></a></li>
<li><a class="share-print sd-button" href="#"><span>Print</span></a></li></ul></div></div></div>
<div class="sharedaddy sd-block sd-like jetpack-likes-widget-wrapper"><h3 class="sd-title">{f.stub("Like this:")}</h3><div class="likes-widget-placeholder post-likes-widget-placeholder"><span class="loading">{f.stub("Like Loading...")}</span></div></div>
<div id="jp-relatedposts" class="jp-relatedposts"><h3 class="jp-relatedposts-headline"><em>Related</em></h3><div class="jp-relatedposts-items jp-relatedposts-items-visual">{related}</div></div>
</div></div>
<div class="post-meta-wrapper post-meta-single post-meta-single-bottom"><ul class="post-meta"><li class="post-tags meta-wrapper">Tags: <a href="#">local</a>, <a href="#">council</a></li></ul></div>
<nav class="pagination-single section-inner" aria-label="Post"><a class="previous-post" href="#"><span class="arrow">&larr;</span><span class="title"><span class="title-inner">{escape(TEASERS[5][0])}</span></span></a>
<a class="next-post" href="#"><span class="title"><span class="title-inner">{escape(TEASERS[6][0])}</span></span></a></nav>
<div class="comments-wrapper section-inner"><div class="comments" id="comments"><div class="comments-header"><h2 class="comment-reply-title">{len(comments)} thoughts on &ldquo;{escape(r.story_title)}&rdquo;</h2></div>
<ol class="comment-list">{clist}</ol></div>
<div id="respond" class="comment-respond"><h2 id="reply-title" class="comment-reply-title">{f.stub("Leave a Reply")}</h2>
<form class="comment-form"><p class="comment-notes">{f.line("Your email stays private with us. Boxes marked with a star must be filled in before you post.")}</p>
<textarea name="comment"></textarea><input name="author"><input type="submit" value="Post Comment"></form></div></div>
</article></main>
<footer id="site-footer"><p class="footer-copyright">&copy; {r.date("%Y")} <a href="/">{escape(r.site)}</a></p><p>{f.line("Proudly run by a small team of reporters and one very patient web volunteer.")}</p></footer>
</body></html>"""


# ---------------------------------------------------------------- WordPress, JNews (jeg) with infinite scroll

def _jnews_post(r: Render, f: Furniture, title: str, body: str, author: str, published: str, views: int) -> str:
    teasers = f.teasers(r.rng, 2, excerpt=False)
    inline_related = "".join(f'<div class="jeg_post"><h3 class="jeg_post_title"><a href="#">{escape(h)}</a></h3></div>' for h, _ in teasers)
    comments = f.comments(r.rng, 2)
    clist = "".join(f'<li class="comment"><div class="comment-body"><div class="comment-author vcard"><cite class="fn">{escape(n)}</cite></div>'
                    f'<div class="comment-content"><p>{escape(t)}</p></div><span class="reply"><a href="#">Reply</a></span></div></li>' for n, t in comments)
    date = datetime.fromisoformat(published).strftime("%B %d, %Y")
    return f"""
<div class="jeg_main"><div class="jeg_container"><div class="jeg_content jeg_singlepage"><div class="container">
<div class="jeg_breadcrumbs jeg_breadcrumb_container"><div id="breadcrumbs"><span><a href="/">Home</a></span><i class="fa fa-angle-right"></i><span><a href="/news/">News</a></span></div></div>
<div class="entry-header"><h1 class="jeg_post_title">{escape(title)}</h1>
<div class="jeg_meta_container"><div class="jeg_post_meta jeg_post_meta_1"><div class="meta_left">
<div class="jeg_meta_author"><span class="meta_text">by</span> <a href="#">{escape(author)}</a></div>
<div class="jeg_meta_date"><a href="#">{date}</a></div></div>
<div class="meta_right"><div class="jeg_meta_comment"><a href="#comments"><i class="fa fa-comment-o"></i> {len(comments)}</a></div>
<div class="jeg_meta_views"><i class="fa fa-eye"></i> {f.stub(f"{views:,} Views")}</div></div></div></div></div>
<div class="jeg_share_top_container"><div class="jeg_share_button clearfix"><div class="jeg_share_stats"><div class="jeg_share_count"><div class="counts">1.2k</div><span class="sharetext">SHARES</span></div></div>
<div class="jeg_sharelist"><a href="#" class="jeg_btn-facebook expanded"><i class="fa fa-facebook-official"></i><span>{f.stub("Share on Facebook")}</span></a><a href="#" class="jeg_btn-twitter expanded"><span>{f.stub("Share on Twitter")}</span></a></div></div></div>
<div class="jeg_ad jeg_article jnews_content_top_ads"><div class="ads-wrapper"><span class="ads-text">ADVERTISEMENT</span></div></div>
<div class="entry-content no-share"><div class="content-inner">
{body}
<div class="jnews_inline_related_post_wrapper"><div class="jnews_inline_related_post"><div class="jeg_postblock_29 jeg_postblock"><div class="jeg_block_heading"><h3 class="jeg_block_title"><span>{f.stub("Related Posts")}</span></h3></div>
<div class="jeg_posts">{inline_related}</div></div></div></div>
<p><strong>{f.line("Enjoyed this piece? Keep our newsroom going with a small monthly pledge on our supporters' page.")}</strong></p>
<div class="jeg_post_tags"><span>Tags:</span> <a href="#" rel="tag">region</a> <a href="#" rel="tag">economy</a></div>
</div></div>
<div class="jnews_author_box_container"><div class="jeg_authorbox"><div class="jeg_author_content"><h3 class="jeg_author_name"><a href="#">{escape(author)}</a></h3>
<p class="jeg_author_desc">{f.line("Covers shipping, ports and the coast, and has not missed a council budget meeting in eleven years.")}</p></div></div></div>
<div class="jnews_comment_container"><div class="jeg_custom_comment_wrapper"><div id="comments" class="comment-wrapper">
<div class="jeg_comments_title">{f.stub("Click to comment")}</div><ol class="commentlist">{clist}</ol>
<div id="respond" class="comment-respond"><h3 class="comment-reply-title">Leave a Reply</h3><form><textarea></textarea></form></div></div></div></div>
</div></div></div></div>"""


def wp_jnews(r: Render, f: Furniture) -> str:
    posts = [_jnews_post(r, f, r.story_title, body_html(r, f), r.author, r.published, 5487)]
    for i, other in enumerate(r.more or []):
        other_render = Render(other.title, other.author, other.published, other.lang, list(other.blocks),
                              r.site, r.url, r.canonical, r.rng)
        posts.append('<div class="jeg_autoload_separator"><div class="jeg_block_heading"><h3>Continue Reading</h3></div></div>'
                     f'<div class="post-autoload" data-url="/{other.key}/">'
                     + _jnews_post(r, f, other.title, body_html(other_render, Furniture()), other.author, other.published, 2114 + i)
                     + "</div>")
    return f"""<!DOCTYPE html><html lang="{r.lang}"><head><meta charset="UTF-8">
<title>{escape(r.story_title)} - {escape(r.site)}</title><link rel="canonical" href="{escape(r.canonical)}">
<meta property="og:type" content="article"><meta property="og:title" content="{escape(r.story_title)}">
<meta property="article:published_time" content="{r.published}">
{_json_ld(r)}</head>
<body class="post-template-default single single-post jeg_single_tpl_1 jnews jsc_normal">
<div class="jeg_viewport"><div class="jeg_header_wrapper"><div class="jeg_header normal"><div class="jeg_topbar"><div class="jeg_nav_item jeg_top_date">{r.date("%A, %B %d, %Y")}</div></div>
<div class="jeg_midbar"><div class="jeg_logo"><a href="/">{escape(r.site)}</a></div></div>
<div class="jeg_bottombar"><ul class="jeg_menu jeg_main_menu"><li><a href="/">Home</a></li><li><a href="/news/">Latest</a></li><li><a href="/news/">News</a></li><li><a href="/picks/">Staff Picks</a></li></ul></div></div></div>
<div class="jnews_autoload_wrapper">
{"".join(posts)}
</div>
<div class="footer-holder" id="footer"><div class="jeg_footer"><p>{f.line("Copyright of this site belongs to its reporters, who would like it back eventually.")}</p></div></div></div>
</body></html>"""


# ---------------------------------------------------------------- WordPress, tagDiv Newspaper + wpDiscuz

def wp_td(r: Render, f: Furniture) -> str:
    teasers = f.teasers(r.rng, 4, excerpt=False)
    sidebar = f.teasers(r.rng, 2, excerpt=True)
    comments = f.comments(r.rng, 3)
    related = "".join(f'<div class="td-related-span4"><div class="td_module_related_posts"><h3 class="entry-title td-module-title"><a href="#">{escape(h)}</a></h3></div></div>' for h, _ in teasers)
    threads = "".join(
        f'<div id="wpd-comm-{30 + i}_0" class="comment even thread-even depth-1 wpd-comment wpd_comment_level-1"><div class="wpd-comment-wrap wpd-blog-guest">'
        f'<div class="wpd-comment-right"><div class="wpd-comment-header"><div class="wpd-comment-author">{escape(n)}</div><div class="wpd-comment-date">{2 + i} hours ago</div></div>'
        f'<div class="wpd-comment-text"><p>{escape(t)}</p></div><div class="wpd-comment-footer"><div class="wpd-vote"><div class="wpd-vote-result">{3 * i + 1}</div></div>'
        f'<div class="wpd-reply-button"><span>Reply</span></div></div></div></div></div>' for i, (n, t) in enumerate(comments))
    also = f'<p><strong>ALSO READ: <a href="#">{f.line(TEASERS[7][0])}</a></strong></p>'
    whatsapp = f'<div class="code-block code-block-5"><p>{f.line("Get breaking stories on your phone the moment we publish them: join our channel on your favourite messaging app.")}</p></div>'
    ad = '<div class="td-a-rec td-a-rec-id-content_inline"><span class="td-adspot-title">- Advertisement -</span></div>'
    body = body_html(r, f, inserts={_mid(r, 0.3): ad + also, _mid(r, 0.6): whatsapp})
    return f"""<!DOCTYPE html><html lang="{r.lang}"><head><meta charset="UTF-8"><title>{escape(r.story_title)} | {escape(r.site)}</title>
<link rel="canonical" href="{escape(r.canonical)}"><meta property="og:title" content="{escape(r.story_title)}">{_json_ld(r)}</head>
<body class="post-template-default single single-post td-standard-pack global-block-template-1">
<div class="td-header-wrap td-header-style-1"><div class="td-header-top-menu"><div class="td_data_time">{r.date("%A, %B %d, %Y")}</div><a href="#">Sign in / Join</a></div>
<div class="td-header-sp-logo"><a class="td-main-logo" href="/">{escape(r.site)}</a></div>
<div class="td-header-menu-wrap"><ul id="menu-main" class="sf-menu"><li><a href="/">Home</a></li><li><a href="/europe/">Europe</a></li><li><a href="/business/">Business</a></li></ul></div></div>
<div class="td-main-content-wrap td-container-wrap"><div class="td-container td-post-template-default"><div class="td-crumb-container"><div class="entry-crumbs"><span><a href="/">Home</a></span> <i class="td-icon-right td-bread-sep"></i> <span><a href="/europe/">Europe</a></span></div></div>
<div class="td-pb-row"><div class="td-pb-span8 td-main-content"><div class="td-ss-main-content">
<article class="post type-post status-publish format-standard"><div class="td-post-header"><ul class="td-category"><li class="entry-category"><a href="/europe/">Europe</a></li></ul>
<header class="td-post-title"><h1 class="entry-title">{escape(r.story_title)}</h1><div class="td-module-meta-info">
<div class="td-post-author-name"><div class="td-author-by">By</div> <a href="#">{escape(r.author)}</a><div class="td-author-line"> - </div></div>
<span class="td-post-date"><time class="entry-date updated td-module-date" datetime="{r.published}">{r.date("%B %d, %Y")}</time></span>
<div class="td-post-views"><i class="td-icon-views"></i><span class="td-nr-views-4821">1932</span></div><div class="td-post-comments"><a href="#comments"><i class="td-icon-comments"></i>{len(comments)}</a></div></div></header></div>
<div class="td-post-sharing-top"><div class="td-default-sharing"><a class="td-social-sharing-button td-social-facebook" href="#"><div class="td-social-but-text">Facebook</div></a>
<a class="td-social-sharing-button td-social-twitter" href="#"><div class="td-social-but-text">Twitter</div></a><a class="td-social-sharing-button td-social-whatsapp" href="#"><div class="td-social-but-text">WhatsApp</div></a></div></div>
<div class="td-post-content tagdiv-type">
{body}
</div>
<footer><div class="td-post-source-tags"><ul class="td-tags td-post-small-box clearfix"><li><span>TAGS</span></li><li><a href="#">Europe</a></li></ul></div>
<div class="td-block-row td-post-next-prev"><div class="td-block-span6 td-post-prev-post"><div class="td-post-next-prev-content"><span>Previous article</span><a href="#">{escape(TEASERS[1][0])}</a></div></div></div>
<div class="author-box-wrap"><div class="desc"><div class="td-author-name vcard author"><span class="fn"><a href="#">{escape(r.author)}</a></span></div>
<div class="td-author-description">{f.line("Reports on European politics and trade from a desk that is mostly coffee rings at this point.")}</div></div></div></footer></article>
<div class="td_block_wrap td_block_related_posts"><h4 class="td-related-title td-block-title"><a class="td-related-left td-cur-simple-item" href="#">{f.stub("RELATED ARTICLES")}</a><a class="td-related-right" href="#">{f.stub("MORE FROM AUTHOR")}</a></h4>
<div class="td_block_inner"><div class="td-related-row">{related}</div></div></div>
<div class="comments" id="comments"><div class="wpdiscuz_top_clearing"></div><div id="wpdcom" class="wpdiscuz_unauth wpd-default wpd-layout-2 wpd-comments-open">
<div class="wpd-form-wrap"><div class="wpd-form-head"><div class="wpd-sbs-toggle"><i class="far fa-envelope"></i> <span class="wpd-sbs-title">{f.stub("Subscribe")}</span></div></div>
<div class="wpd-form wpd-form-wrapper wpd-main-form-wrapper"><form><div class="wpd-field-textarea"><textarea placeholder="Join the discussion"></textarea></div>
<div class="wpd-field-comment">{f.line("Please keep it civil: we remove comments that attack people rather than arguments.")}</div></form></div></div>
<div id="wpd-threads" class="wpd-thread-wrapper"><div class="wpd-thread-head"><div class="wpd-thread-info"><span class="wpdtc">{len(comments)}</span> Comments</div>
<div class="wpd-thread-filter"><div class="wpd-filter">{f.stub("Inline Feedbacks")}</div><div class="wpd-filter">{f.stub("View all comments")}</div></div></div>
<div class="wpd-thread-list">{threads}</div></div></div></div>
</div></div>
<div class="td-pb-span4 td-main-sidebar"><div class="td-ss-main-sidebar"><div class="td_block_wrap td_block_social_counter"><h4 class="block-title"><span>{f.stub("Stay Connected")}</span></h4></div>
<div class="td_block_wrap td_block_popular"><h4 class="block-title"><span>Most Popular</span></h4>
{"".join(f'<div class="td_module_6"><h3 class="entry-title"><a href="#">{escape(h)}</a></h3><div class="td-excerpt">{escape(l)}</div></div>' for h, l in sidebar)}</div></div></div>
</div></div></div>
<div class="td-footer-wrapper"><p>{f.line("All material on this site is ours unless we say otherwise, and we usually do not.")}</p></div>
</body></html>"""


# ---------------------------------------------------------------- Drupal 9/10 (Olivero-like)

def drupal(r: Render, f: Furniture) -> str:
    teasers = f.teasers(r.rng, 3, excerpt=False)
    embedded_head, embedded_lead = TEASERS[2]
    f.lines += [embedded_head, embedded_lead]
    # CKEditor-embedded related node: a teaser with its own field--name-body nested in the body.
    embed = (f'<div class="embedded-entity"><article class="node node--type-article node--view-mode-teaser">'
             f'<h2 class="node__title"><a href="#">{escape(embedded_head)}</a></h2>'
             f'<div class="clearfix text-formatted field field--name-body field--type-text-with-summary field--label-hidden field__item"><p>{escape(embedded_lead)}</p></div></article></div>')
    comments = f.comments(r.rng, 2)
    clist = "".join(
        f'<article class="comment js-comment by-anonymous"><footer class="comment__meta"><p class="comment__author"><span>{escape(n)}</span></p>'
        f'<p class="comment__time">{r.date("%a, %m/%d/%Y")} - 1{i}:30</p><p class="comment__permalink"><a href="#">Permalink</a></p></footer>'
        f'<div class="comment__content"><h3><a href="#">{escape(t.split(" ")[0])} {escape(t.split(" ")[1])}</a></h3>'
        f'<div class="clearfix text-formatted field field--name-comment-body field--type-text-long field--label-hidden field__item"><p>{escape(t)}</p></div></div></article>'
        for i, (n, t) in enumerate(comments))
    most = "".join(f'<div class="views-row"><span class="views-field views-field-title"><span class="field-content"><a href="#">{escape(h)}</a></span></span></div>' for h, _ in teasers)
    return f"""<!DOCTYPE html><html lang="{r.lang}" dir="ltr"><head><meta charset="utf-8">
<title>{escape(r.story_title)} | {escape(r.site)}</title><link rel="canonical" href="{escape(r.canonical)}">
<meta property="og:title" content="{escape(r.story_title)}"><meta property="article:published_time" content="{r.published}">
<meta name="Generator" content="Drupal 10 (https://www.drupal.org)"></head>
<body class="path-node page-node-type-article"><a href="#main-content" class="visually-hidden focusable skip-link">Skip to main content</a>
<div class="dialog-off-canvas-main-canvas"><div class="layout-container"><header role="banner"><div class="region region-header">
<div id="block-sitebranding" class="block block-system block-system-branding-block"><a href="/" rel="home">{escape(r.site)}</a>
<div class="site-slogan">{f.line("Independent news for the three valleys, every day of the week")}</div></div>
<nav role="navigation" id="block-mainnavigation"><ul class="menu"><li class="menu-item"><a href="/">Home</a></li><li class="menu-item"><a href="/news">News</a></li><li class="menu-item"><a href="/opinion">Opinion</a></li></ul></nav></div></header>
<main role="main"><a id="main-content" tabindex="-1"></a><div class="layout-content"><div class="region region-content">
<div data-drupal-messages-fallback class="hidden"></div>
<div id="block-pagetitle" class="block block-core block-page-title-block"><h1 class="page-title"><span class="field field--name-title field--type-string field--label-hidden">{escape(r.story_title)}</span></h1></div>
<div id="block-mainpagecontent" class="block block-system block-system-main-block">
<article role="article" class="node node--type-article node--promoted node--view-mode-full">
<div class="node__meta"><span>Submitted by <span class="field field--name-uid field--type-entity-reference field--label-hidden"><span>{escape(r.author)}</span></span>
on <span class="field field--name-created field--type-created field--label-hidden"><time datetime="{r.published}">{r.date("%a, %m/%d/%Y - %H:%M")}</time></span></span></div>
<div class="node__content clearfix">
<div class="field field--name-field-image field--type-image field--label-hidden field__item"><img src="/sites/default/files/lead.jpg" alt="">
<div class="field--name-field-image-credit">{f.line("Picture: Orla Mayhew / Valley Photo Agency")}</div></div>
<div class="clearfix text-formatted field field--name-body field--type-text-with-summary field--label-hidden field__item">
{body_html(r, f, inserts={_mid(r, 0.5): embed})}
</div>
<div class="field field--name-field-tags field--type-entity-reference field--label-above clearfix"><h3 class="field__label">Tags</h3>
<ul class="links field__items"><li><a href="#">Region</a></li><li><a href="#">Community</a></li></ul></div>
<div class="node__links"><ul class="links inline"><li class="comment-forbidden">{f.line("Sign in or create an account to join the conversation below.")}</li></ul></div>
<section class="field field--name-comment field--type-comment field--label-above comment-wrapper"><h2 class="title comment-section__title">Comments</h2>
{clist}
<h2 class="title comment-form__title">{f.stub("Add new comment")}</h2><form class="comment-comment-form comment-form"><textarea></textarea></form></section>
</div></article></div></div></div>
<aside class="layout-sidebar-second" role="complementary"><div class="region region-sidebar-second">
<div class="views-element-container block block-views block-views-blockmost-read-block-1"><h2>{f.stub("Most read")}</h2><div class="view view-most-read"><div class="view-content">{most}</div></div></div>
<div class="block block-block-content"><div class="clearfix text-formatted field field--name-body field--type-text-with-summary field--label-hidden field__item">
<p>{f.line("Our print edition is on sale every Thursday in shops across the district, and as a digital replica for subscribers.")}</p></div></div>
</div></aside></main>
<footer role="contentinfo"><div class="region region-footer"><p>{f.line("Registered office: 4 Mill Lane, with the green door that sticks in wet weather.")}</p></div></footer>
</div></div></body></html>"""


# ---------------------------------------------------------------- Blogger, the post shown twice

def blogger(r: Render, f: Furniture) -> str:
    parts = []
    for kind, text in r.blocks:
        if kind == "figure":
            caption, credit = text.split("\x00")
            parts.append(f'<div class="separator" style="clear: both; text-align: center;"><img src="/i.jpg"></div>'
                         f'<div style="text-align: center;"><span style="font-size: x-small;">{escape(caption)} {f.line(credit)}</span></div>')
        elif kind == "h2":
            parts.append(f"<b>{escape(text)}</b>")
        elif kind == "quote":
            parts.append(f"<blockquote>{escape(text)}</blockquote>")
        else:
            parts.append(f'<span style="font-family: georgia, serif;">{escape(text)}</span>')
    body = '<div dir="ltr" style="text-align: left;" trbidi="on">' + "<br /><br />\n".join(parts) + "</div>"
    # Featured-post widget: the same post's title and opening, before the main column in document order.
    opening = " ".join(escape(t) for k, t in r.blocks if k == "p")[:600].rsplit(" ", 1)[0]
    featured = (f'<div class="widget FeaturedPost" data-version="1" id="FeaturedPost1"><h2 class="title">Featured post</h2>'
                f'<div class="post-summary"><h3><a href="{escape(r.url)}">{escape(r.story_title)}</a></h3><p>{opening}&#8230;</p>'
                f'<img class="image" src="/i.jpg"></div></div>')
    comments = f.comments(r.rng, 2)
    cblock = "".join(f'<dt class="comment-author" id="c{i}"><a name="c{i}"></a>{escape(n)} said...</dt>'
                     f'<dd class="comment-body" id="Blog1_cmt-{i}"><p>{escape(t)}</p></dd>'
                     f'<dd class="comment-footer"><span class="comment-timestamp"><a href="#">{r.date("%B %d, %Y")} at 1{i}:02 PM</a></span></dd>'
                     for i, (n, t) in enumerate(comments))
    popular = f.teasers(r.rng, 2, excerpt=True)
    pop = "".join(f'<li><div class="item-title"><a href="#">{escape(h)}</a></div><div class="item-snippet">{escape(l)}</div></li>' for h, l in popular)
    return f"""<!DOCTYPE html><html class="v2" dir="ltr" lang="{r.lang}"><head>
<meta content="text/html; charset=UTF-8" http-equiv="Content-Type"><title>{escape(r.site)}: {escape(r.story_title)}</title>
<link href="{escape(r.canonical)}" rel="canonical"><meta content="{escape(r.story_title)}" property="og:title"></head>
<body class="loading"><div class="content-outer"><div class="header-outer"><div class="header section" id="header"><div class="widget Header" id="Header1">
<div id="header-inner"><div class="titlewrapper"><h1 class="title"><a href="/">{escape(r.site)}</a></h1></div>
<div class="descriptionwrapper"><p class="description"><span>{f.line("Long reads and short tempers from a retired teacher with a library card")}</span></p></div></div></div></div></div>
<div class="columns fauxcolumns"><div class="columns-inner">
<div class="column-left-outer"><div class="sidebar section" id="sidebar-left-1">
{featured}
<div class="widget PopularPosts" id="PopularPosts1"><h2>Popular Posts</h2><div class="widget-content popular-posts"><ul>{pop}</ul></div></div>
</div></div>
<div class="column-center-outer"><div class="main section" id="main"><div class="widget Blog" id="Blog1"><div class="blog-posts hfeed">
<div class="date-outer"><h2 class="date-header"><span>{r.date("%A, %B %d, %Y")}</span></h2><div class="date-posts"><div class="post-outer">
<div class="post hentry uncustomized-post-template" itemprop="blogPost" itemscope="itemscope" itemtype="http://schema.org/BlogPosting">
<h3 class="post-title entry-title" itemprop="name">{escape(r.story_title)}</h3>
<div class="post-header"><div class="post-header-line-1"></div></div>
<div class="post-body entry-content" id="post-body-7731" itemprop="description articleBody">
{body}
<div style="clear: both;"></div></div>
<div class="post-footer"><div class="post-footer-line post-footer-line-1"><span class="post-author vcard">Posted by <span class="fn" itemprop="author"><span itemprop="name">{escape(r.author)}</span></span></span>
<span class="post-timestamp">at <a class="timestamp-link" href="{escape(r.url)}"><abbr class="published" itemprop="datePublished" title="{r.published}">{r.date("%I:%M %p")}</abbr></a></span>
<span class="post-comment-link"><a class="comment-link" href="#comments">{len(comments)} comments:</a></span></div>
<div class="post-share-buttons goog-inline-block"><a class="goog-inline-block share-button sb-email" href="#"><span class="share-button-link-text">{f.stub("Email This")}</span></a>
<a class="goog-inline-block share-button sb-blog" href="#"><span class="share-button-link-text">{f.stub("BlogThis!")}</span></a></div>
<div class="post-footer-line post-footer-line-2"><span class="post-labels">Labels: <a href="#" rel="tag">local</a>, <a href="#" rel="tag">politics</a></span></div></div></div>
<div class="comments" id="comments"><h4>{len(comments)} comments:</h4><div id="comments-block-wrapper"><dl class="avatar-comment-indent" id="comments-block">{cblock}</dl></div>
<p class="comment-footer"><a href="#">{f.stub("Post a Comment")}</a></p></div>
</div></div></div></div>
<div class="blog-pager" id="blog-pager"><span id="blog-pager-newer-link"><a class="blog-pager-newer-link" href="#">Newer Post</a></span>
<span id="blog-pager-older-link"><a class="blog-pager-older-link" href="#">Older Post</a></span><a class="home-link" href="/">Home</a></div>
<div class="post-feeds"><div class="feed-links">Subscribe to: <a class="feed-link" href="#">Post Comments (Atom)</a></div></div></div></div></div>
</div></div></div></body></html>"""


# ---------------------------------------------------------------- Arc-style modern news site

def arc(r: Render, f: Furniture) -> str:
    read_more = f.teasers(r.rng, 2, excerpt=False)
    trending = f.teasers(r.rng, 3, excerpt=False)
    more_from = [t for t in TEASERS if t not in read_more and t not in trending][:2]
    for h, l in more_from:
        f.lines += [h, l]

    def p_attr(i: int) -> str:
        return f' data-testid="paragraph-{i}" class="article-body__element article-body__paragraph"'

    newsletter = (f'<div class="newsletter-promo" data-testid="newsletter-signup"><h3 class="newsletter-promo__title">{f.stub("The Morning Brief")}</h3>'
                  f'<p class="newsletter-promo__description">{f.line("Start every weekday with the five stories you need to know, in under five minutes.")}</p>'
                  f'<form><input type="email" placeholder="Email address"><button>Sign up</button></form>'
                  f'<p class="newsletter-promo__legal">{f.line("By signing up you agree to get occasional offers from us, which you can turn off in one click.")}</p></div>')
    paywall = (f'<aside class="promo-box" data-testid="subscription-promo"><p>{f.line("You have read three of your five free stories this month. Subscribe for unlimited access from a pound a week.")}</p>'
               f'<a class="promo-box__cta" href="/subscribe">See offers</a></aside>')
    inline_figure = (f'<figure class="article-body__image" data-testid="image"><img src="/resizer/abc.jpg" alt="">'
                     f'<figcaption class="article-body__caption"><span class="caption-text">{f.line(CAPTIONS[3][0])}</span> '
                     f'<span class="credit" data-testid="credit">{f.line("REUTERS/Anselm Vorn")}</span></figcaption></figure>')
    inserts = {
        _mid(r, 0.2): f'<p data-testid="read-more" class="article-body__element"><strong>Read more:</strong> <a href="#">{escape(read_more[0][0])}</a></p>',
        _mid(r, 0.4): newsletter,
        _mid(r, 0.55): inline_figure,
        _mid(r, 0.7): f'<p data-testid="read-more" class="article-body__element"><strong>Read more:</strong> <a href="#">{escape(read_more[1][0])}</a></p>' + paywall,
    }
    body = body_html(r, f, p_attr=p_attr, inserts=inserts)
    return f"""<!DOCTYPE html><html lang="{r.lang}"><head><meta charset="utf-8"><title>{escape(r.story_title)} | {escape(r.site)}</title>
<link rel="canonical" href="{escape(r.canonical)}"><meta property="og:title" content="{escape(r.story_title)}"><meta property="og:site_name" content="{escape(r.site)}">
<meta name="article:published_time" content="{r.published}">{_json_ld(r)}</head>
<body><div id="fusion-app">{_cookie(f, "cookie-banner")}
<header class="site-header"><a class="site-header__logo" href="/">{escape(r.site)}</a><nav class="site-header__nav"><a href="/world">World</a> <a href="/business">Business</a> <a href="/sport">Sport</a></nav>
<a class="site-header__subscribe" href="/subscribe">Subscribe</a> <a href="/account">Sign in</a>
<div class="breaking-news-banner" data-testid="breaking-news"><span class="label">Breaking</span> <a href="#">{f.line(TEASERS[4][0])}</a></div></header>
<main id="main"><article class="article" data-testid="article">
<div class="article-header"><a class="article-header__section" href="/world">World</a>
<h1 class="article-header__headline" data-testid="headline">{escape(r.story_title)}</h1>
<div class="byline" data-testid="byline"><span class="byline__by">By</span> <a class="byline__author" href="#">{escape(r.author)}</a>
<div class="byline__dates"><time data-testid="published-timestamp" datetime="{r.published}">Published on {r.date("%b %d, %Y %I:%M %p")}</time>
<time data-testid="updated-timestamp">{f.stub("Updated 2 hours ago")}</time></div><span class="read-time">{f.stub("5 min read")}</span></div>
<div class="share-bar" data-testid="share-bar"><button aria-label="Share on Facebook">f</button><button aria-label="Share on X">x</button><button>{f.stub("Copy link")}</button><span class="share-count">2.3K shares</span></div></div>
<figure class="lead-art"><img src="/resizer/lead.jpg" alt=""><figcaption class="lead-art__caption"><span class="caption-text">{f.line(CAPTIONS[0][0])}</span>
<span class="credit">{f.line("Photo: Marit Oyen / Lakeland Pictures")}</span></figcaption></figure>
<div class="article-body__content" data-testid="article-body">
{body}
</div>
<div class="article-tags" data-testid="tags"><span>Topics:</span> <a href="#">Weather</a> <a href="#">Transport</a></div>
<section class="trending" data-testid="trending"><h2>{f.stub("Trending")}</h2><ol>{"".join(f'<li><a href="#">{escape(h)}</a></li>' for h, _ in trending)}</ol></section>
<section class="more-from" data-testid="more-from"><h2>More from World</h2>{"".join(f'<div class="card"><h3 class="card__headline"><a href="#">{escape(h)}</a></h3><p class="card__description">{escape(l)}</p></div>' for h, l in more_from)}</section>
</article></main>
<footer class="site-footer"><p>{f.line("Copyright 2024 Lakeland Media Group. No part of this site may be reproduced without asking nicely first.")}</p></footer>
</div></body></html>"""


# ---------------------------------------------------------------- AMP (WordPress AMP plugin style)

def amp(r: Render, f: Furniture) -> str:
    related = f.teasers(r.rng, 3, excerpt=False)
    inserts = {_mid(r, 0.3): '<amp-ad width="300" height="250" type="doubleclick" data-slot="/4119/amp_article"><div placeholder>Advertisement</div></amp-ad>',
               _mid(r, 0.7): '<p class="social-share"><amp-social-share type="twitter"></amp-social-share><amp-social-share type="facebook"></amp-social-share><amp-social-share type="email"></amp-social-share></p>'}
    return f"""<!doctype html><html amp lang="{r.lang}"><head><meta charset="utf-8"><script async src="https://cdn.ampproject.org/v0.js"></script>
<title>{escape(r.story_title)} &#8211; {escape(r.site)}</title><link rel="canonical" href="{escape(r.canonical)}">
<meta name="viewport" content="width=device-width"><style amp-boilerplate>body{{visibility:hidden}}</style>{_json_ld(r, "BlogPosting")}</head>
<body class="single-post amp-mode-mouse">
<amp-consent id="consent" layout="nodisplay"><div class="consent-ui" id="consent-ui"><p>{f.line("This page uses cookies for traffic measurement and advertising. Choose whether to allow them.")}</p>
<button on="tap:consent.accept">Accept</button><button on="tap:consent.reject">Reject</button></div></amp-consent>
<header id="top" class="amp-wp-header"><div><a href="/">{escape(r.site)}</a><button on="tap:sidebar.toggle" class="amp-menu-toggle">Menu</button></div></header>
<amp-sidebar id="sidebar" layout="nodisplay" side="left"><ul><li><a href="/">Front page</a></li><li><a href="/news/">News</a></li><li><a href="/contact/">Contact</a></li></ul></amp-sidebar>
<article class="amp-wp-article"><header class="amp-wp-article-header"><h1 class="amp-wp-title">{escape(r.story_title)}</h1>
<div class="amp-wp-meta amp-wp-byline"><amp-img src="/avatar.png" width="24" height="24" layout="fixed"></amp-img><span class="amp-wp-author author vcard">{escape(r.author)}</span></div>
<div class="amp-wp-meta amp-wp-posted-on"><time datetime="{r.published}">{r.date("%d %B %Y")}</time></div></header>
<figure class="amp-wp-article-featured-image wp-caption"><amp-img width="1024" height="683" src="/featured.jpg" layout="responsive"></amp-img>
<p class="wp-caption-text">{f.line(CAPTIONS[1][0])} {f.line(CAPTIONS[1][1])}</p></figure>
<div class="amp-wp-article-content">
{body_html(r, f, inserts=inserts)}
</div>
<footer class="amp-wp-article-footer"><div class="amp-wp-meta amp-wp-tax-category">Categories: <a href="#">News</a></div>
<div class="amp-wp-meta amp-wp-comments-link"><a href="#">{f.stub("Leave a Comment")}</a></div></footer></article>
<section class="amp-related-posts"><h2>{f.stub("You might also like")}</h2><ul>{"".join(f'<li><a href="#">{escape(h)}</a></li>' for h, _ in related)}</ul></section>
<footer class="amp-wp-footer"><div><p>{f.line("Pages served in a lighter format for phones. The full site has more pictures and fewer apologies.")}</p><a href="#top" class="back-to-top">Back to top</a></div></footer>
<amp-analytics type="gtag" data-credentials="include"></amp-analytics></body></html>"""


# ---------------------------------------------------------------- Medium-like publishing platform

def medium(r: Render, f: Furniture) -> str:
    more = f.teasers(r.rng, 2, excerpt=True)
    recommended = f.teasers(r.rng, 2, excerpt=True)

    def p_attr(i: int) -> str:
        return f' id="{1000 + i:x}" class="pw-post-body-paragraph kj kk ht kl b km kn ko" data-selectable-paragraph=""'

    cards = "".join(f'<div class="card"><h2 class="card-title">{escape(h)}</h2><h3 class="card-sub">{escape(l)}</h3></div>' for h, l in more + recommended)
    return f"""<!doctype html><html lang="{r.lang}"><head><meta charset="utf-8"><title>{escape(r.story_title)} | by {escape(r.author)} | {escape(r.site)}</title>
<link rel="canonical" href="{escape(r.canonical)}"><meta property="og:title" content="{escape(r.story_title)}"><meta name="author" content="{escape(r.author)}">
<meta property="article:published_time" content="{r.published}">{_json_ld(r, "NewsArticle")}</head>
<body><div id="root"><div class="a b c"><div class="l c"><div class="ag ah ai"><nav><a href="/">{escape(r.site)}</a> <a href="/m/signin">Sign in</a> <a href="/new-story">Write</a></nav></div>
<div class="meteredContent"><div class="member-banner"><span>{f.stub("Member-only story")}</span></div>
<article><div class="l"><section><div class="fr fs ft fu fv"><div class="ab ca"><div class="ch bg ew ex ey ez">
<div class="speechify-ignore"><h1 id="title" data-testid="storyTitle" class="pw-post-title gh gi gj">{escape(r.story_title)}</h1>
<div class="speechify-ignore ab cp"><div class="ab"><a data-testid="authorName" href="#">{escape(r.author)}</a> <span>·</span> <button>{f.stub("Follow")}</button></div>
<div class="ab"><span data-testid="storyReadTime">7 min read</span> <span>·</span> <span data-testid="storyPublishDate">{r.date("%b %d, %Y")}</span></div>
<div class="pw-multi-vote-count"><p>1.4K</p></div><div class="pw-responses-count"><p>37</p></div><button aria-label="Listen">{f.stub("Listen")}</button> <button>Share</button></div></div>
{body_html(r, f, p_attr=p_attr, quote_cls="kx ky kz")}
</div></div></div></section></div></article></div>
<div class="paywall-upsell"><p>{f.line("Become a member to read every story here and to put part of your fee in the pocket of the writers you follow.")}</p></div>
<div class="author-footer"><h2>Written by {escape(r.author)}</h2><p class="followers">2.1K Followers</p>
<p class="bio">{f.line("Writes about cities, public money and the places people go when they have nowhere else to go.")}</p></div>
<div class="more-from"><h2>More from {escape(r.author)} and {f.stub("Recommended for you")}</h2>{cards}</div>
</div></div></div></body></html>"""


# ---------------------------------------------------------------- a local news site with a server-rendered Disqus thread

def disqus_news(r: Render, f: Furniture) -> str:
    comments = f.comments(r.rng, 4)
    posts = []
    for i, (n, t) in enumerate(comments):
        children = ""
        if i == 0:
            reply = COMMENTS[(COMMENTS.index((n, t)) + 3) % len(COMMENTS)]
            f.lines.append(reply[1])
            children = (f'<ul class="children"><li class="post"><div class="post-content"><div class="post-body"><header><span class="author"><a href="#">{escape(reply[0])}</a></span></header>'
                        f'<div class="post-body-inner"><div class="post-message"><div><p>{escape(reply[1])}</p></div></div></div></div></div></li></ul>')
        posts.append(f'<li class="post" id="post-{881 + i}"><div class="post-content"><div class="avatar"><img src="/noavatar.png"></div><div class="post-body">'
                     f'<header class="comment__header"><span class="post-byline"><span class="author publisher-anchor-color"><a href="#">{escape(n)}</a></span></span>'
                     f'<span class="post-meta"><a class="time-ago" href="#">{i + 2} hours ago</a></span></header>'
                     f'<div class="post-body-inner"><div class="post-message-container"><div class="post-message"><div><p>{escape(t)}</p></div></div></div></div>'
                     f'<footer class="comment__footer"><menu class="comment-footer__menu"><li class="voting"><a class="vote-up">{7 - i}</a></li>'
                     f'<li class="reply"><a href="#">Reply</a></li><li class="share">Share ›</li></menu></footer></div></div>{children}</li>')
    donate = (f'<div class="donate-inline"><h4>{f.line("Before you go on reading")}</h4><p>{f.line("We are a non-profit newsroom and every story is free. Readers like you pay for it: become a member today.")}</p>'
              f'<a class="button" href="/donate">Give now</a></div>')
    return f"""<!DOCTYPE html><html lang="{r.lang}"><head><meta charset="utf-8"><title>{escape(r.story_title)}</title>
<meta name="author" content="{escape(r.author)}"><meta name="date" content="{r.published}"><link rel="canonical" href="{escape(r.canonical)}"></head>
<body class="story-page"><div class="top-strip"><a href="/">{escape(r.site)}</a> <span class="weather">11&deg;C Showers</span></div>
<nav class="main-nav"><a href="/">News</a> <a href="/sport">Sport</a> <a href="/obituaries">Obituaries</a> <a href="/jobs">Jobs</a></nav>
<div class="container"><div class="story">
<h1 class="story-headline">{escape(r.story_title)}</h1>
<div class="story-meta"><span class="story-byline">{escape(r.author)}</span> &middot; <span class="story-date">{r.date("%d/%m/%Y")}</span> &middot;
<span class="story-views">{f.stub("Read 3,412 times")}</span></div>
<div class="story-share"><a href="#">{f.line("Share this story with a friend")}</a> <a href="#">Print</a></div>
<div class="story-body"><div class="story-text">
{body_html(r, f, inserts={_mid(r, 0.5): donate})}
</div></div>
<div class="story-tools"><a href="#">{f.line("Spotted a mistake in this story? Tell the news desk")}</a></div>
<div id="disqus_thread"><div id="layout"><section id="conversation" data-role="main"><div class="nav nav-primary"><ul><li class="nav-tab"><span class="comment-count">{len(comments) + 1} comments</span></li></ul></div>
<div id="posts"><ul id="post-list" class="post-list">{"".join(posts)}</ul></div></section></div></div>
</div><aside class="sidebar"><h3>Most viewed</h3><ol>{"".join(f'<li><a href="#">{escape(h)}</a></li>' for h, _ in f.teasers(r.rng, 3, excerpt=False))}</ol></aside></div>
<div class="cookie-notice-container" id="cn-notice-text">{f.line("Cookies help us run this site. By carrying on you are fine with that, and you can read what we do with them on our privacy page.")}
<a href="#" id="cn-accept-cookie">{f.stub("Got it")}</a></div>
<footer><p>{f.line("Printed and published by the Kestrel Valley News Trust, a registered charity.")}</p></footer></body></html>"""


# ---------------------------------------------------------------- live blog

def liveblog(r: Render, f: Furniture) -> str:
    entries = []
    minute = 40
    for i, (kind, text) in enumerate(r.blocks):
        inner = body_html(Render(r.story_title, r.author, r.published, r.lang, [(kind, text)], r.site, r.url, r.canonical, r.rng), f)
        minute += 7
        entries.append(f'<article class="liveblog-entry" id="entry-{i}"><header class="liveblog-entry__header"><time datetime="{r.published}">{6 + minute // 60:02d}:{minute % 60:02d}</time>'
                       f'<span class="liveblog-entry__author">{escape(r.author.split(":")[-1].split(" and ")[0].strip())}</span></header>'
                       f'<div class="liveblog-entry__body">{inner}</div><footer><button class="share-entry">{f.stub("Share this update")}</button></footer></article>')
        if i == 2:
            entries.append(f'<div class="liveblog-promo"><p>{f.line("Get every update on your phone: switch on notifications for this page in the app.")}</p></div>')
        if i == 4:
            entries.append('<div class="liveblog-ad"><span>Advertisement</span></div>')
    entries.reverse()  # newest first, as live pages show them
    most = f.teasers(r.rng, 3, excerpt=False)
    return f"""<!DOCTYPE html><html lang="{r.lang}"><head><meta charset="utf-8"><title>{escape(r.story_title)} | {escape(r.site)}</title>
<link rel="canonical" href="{escape(r.canonical)}">{_json_ld(r, "LiveBlogPosting")}</head>
<body><header class="masthead"><a href="/">{escape(r.site)}</a><nav><a href="/live">Live</a> <a href="/news">News</a></nav></header>
<main><div class="liveblog"><header class="liveblog__header"><span class="live-badge">{f.stub("LIVE")}</span><h1>{escape(r.story_title)}</h1>
<p class="liveblog__meta">By {escape(r.author)} &middot; <time datetime="{r.published}">{r.date("%d %b %Y")}</time> &middot; {f.stub("Updated 12 minutes ago")}</p>
<div class="liveblog__controls"><button>{f.stub("Show key events only")}</button> <label><input type="checkbox">{f.stub("Auto-update on")}</label></div></header>
<div class="liveblog__entries">{"".join(entries)}</div>
<button class="liveblog__load-more">{f.stub("Load earlier updates")}</button></div>
<aside class="most-viewed"><h2>Most viewed</h2><ol>{"".join(f'<li><a href="#">{escape(h)}</a></li>' for h, _ in most)}</ol></aside></main>
<footer><p>{f.line("Live coverage is edited around the clock by the overnight desk and whoever they can wake.")}</p></footer></body></html>"""


# ---------------------------------------------------------------- CSS-in-JS news site: hashed class names only

def _h(tag: str) -> str:
    """A hashed class name as CSS-in-JS frameworks emit them."""
    return f"dcr-{(sum(map(ord, tag)) * 7919) % 46656:x}"


def hashed(r: Render, f: Furniture) -> str:
    rich = f.teasers(r.rng, 1, excerpt=False)[0][0]
    most = f.teasers(r.rng, 4, excerpt=False)
    comments = f.comments(r.rng, 3)
    signup = (f'<div class="{_h("signup")}" data-component="inline-signup"><p class="{_h("kicker")}">{f.stub("Sign up to Morning Tide")}</p>'
              f'<p class="{_h("pitch")}">{f.line("Our editors pick the stories that matter and send them to you before breakfast, free.")}</p>'
              f'<div class="{_h("privacy")}">{f.line("We only use your address to send the email you asked for. For more, see our privacy notice.")}</div>'
              f'<a class="{_h("btn")}" href="#">Sign up</a></div>')
    richlink = (f'<div class="{_h("rich")}" data-link-name="rich-link"><div class="{_h("richk")}">Related</div>'
                f'<a class="{_h("richa")}" href="#">{escape(rich)}</a></div>')
    inserts = {_mid(r, 0.25): richlink, _mid(r, 0.6): signup}
    cblock = "".join(f'<div class="{_h("cm")}"><div class="{_h("cmn")}">{escape(n)}</div><div class="{_h("cmt")}">{3 + i}h ago</div>'
                     f'<p class="{_h("cmp")}">{escape(t)}</p><div class="{_h("cmr")}">Reply</div></div>' for i, (n, t) in enumerate(comments))
    return f"""<!DOCTYPE html><html lang="{r.lang}"><head><meta charset="utf-8"><title>{escape(r.story_title)} | {escape(r.site)}</title>
<link rel="canonical" href="{escape(r.canonical)}"><meta property="og:title" content="{escape(r.story_title)}">{_json_ld(r)}</head>
<body><div id="app"><div class="{_h("top")}"><a class="{_h("logo")}" href="/">{escape(r.site)}</a>
<div class="{_h("support")}"><p>{f.line("Support fearless reporting from just one pound a month. It takes a minute.")}</p></div></div>
<div class="{_h("grid")}"><div class="{_h("headline")}"><h1 class="{_h("h1")}">{escape(r.story_title)}</h1></div>
<div class="{_h("meta")}"><div class="{_h("by")}"><a rel="author" href="#">{escape(r.author)}</a></div>
<div class="{_h("date")}"><time datetime="{r.published}">{r.date("%a %d %b %Y %H.%M GMT")}</time></div>
<div class="{_h("shares")}">{f.stub("Share")}</div></div>
<div class="{_h("body")}" id="maincontent">
{body_html(r, f, p_attr=lambda i: f' class="{_h("p")}"', inserts=inserts)}
</div>
<div class="{_h("after")}"><p class="{_h("explainer")}">{f.line("Explore more on these topics: coasts, local government, transport.")}</p></div>
<div class="{_h("disc")}"><h2 class="{_h("disch")}">{f.stub(f"Comments ({len(comments) + 39})")}</h2>
<p class="{_h("discn")}">{f.line("This discussion is now closed for comments but you can still sign in to recommend comments.")}</p>{cblock}</div>
<div class="{_h("onward")}"><h2 class="{_h("onwh")}">{f.stub("Most viewed")}</h2><ol class="{_h("onwl")}">{"".join(f'<li><a href="#">{escape(h)}</a></li>' for h, _ in most)}</ol></div>
</div><div class="{_h("foot")}"><p>{f.line("Copyright held by the publishers of this site and its many patient contributors.")}</p></div></div></body></html>"""


# ---------------------------------------------------------------- infinite scroll, later articles under h2

def scroll_h2(r: Render, f: Furniture) -> str:
    def story(title, author, published, body, first):
        tag = "h1" if first else "h2"
        date = datetime.fromisoformat(published).strftime("%d %B %Y")
        return (f'<article class="story{" story--first" if first else " story--next"}"><{tag} class="story__title">{escape(title)}</{tag}>'
                f'<p class="story__meta">{escape(author)} | {date}</p><div class="story__text">{body}</div>'
                f'<div class="story__end">{f.line("Found a mistake? Write to the readers editor and we will look into it.")}</div></article>')

    parts = [story(r.story_title, r.author, r.published, body_html(r, f), True)]
    for other in r.more or []:
        o = Render(other.title, other.author, other.published, other.lang, list(other.blocks), r.site, r.url, r.canonical, r.rng)
        parts.append(f'<div class="next-article" data-url="/{other.key}/"><p class="next-article__label">{f.stub("Next article")}</p>'
                     + story(other.title, other.author, other.published, body_html(o, Furniture()), False) + "</div>")
    return f"""<!DOCTYPE html><html lang="{r.lang}"><head><meta charset="utf-8"><title>{escape(r.story_title)} - {escape(r.site)}</title>
<link rel="canonical" href="{escape(r.canonical)}"><meta property="og:title" content="{escape(r.story_title)}"><meta property="article:published_time" content="{r.published}"></head>
<body><div class="page"><div class="brand"><a href="/">{escape(r.site)}</a></div>
<div class="stream">{"".join(parts)}</div></div></body></html>"""


TEMPLATES = {
    "wp_classic": wp_classic, "wp_jnews": wp_jnews, "wp_td": wp_td, "drupal": drupal, "blogger": blogger,
    "arc": arc, "amp": amp, "medium": medium, "disqus_news": disqus_news, "liveblog": liveblog,
    "hashed": hashed, "scroll_h2": scroll_h2,
}
SCROLL_TEMPLATES = ("wp_jnews", "scroll_h2")

SITES = {
    "wp_classic": ("Brannock Vale Voice", "voice.brannock.test"),
    "wp_jnews": ("The Coastline Dispatch", "coastline-dispatch.test"),
    "wp_td": ("Europa Ledger", "europaledger.test"),
    "drupal": ("Three Valleys Herald", "threevalleys.test"),
    "blogger": ("Notes From Tanner Row", "tannerrow.blogspot.test"),
    "arc": ("The Lakeland Courier", "lakelandcourier.test"),
    "amp": ("Harbourside Gazette", "harbourside-gazette.test"),
    "medium": ("Civic Matters", "civicmatters.pub.test"),
    "disqus_news": ("Kestrel Valley News", "kestrelvalley.test"),
    "liveblog": ("Northwind Daily", "northwind-daily.test"),
    "hashed": ("The Morning Tide", "morningtide.test"),
    "scroll_h2": ("Eastbay Chronicle", "eastbay-chronicle.test"),
}


def render_page(template: str, *, title: str, author: str, published: str, lang: str,
                blocks: list[tuple[str, str]], url: str, canonical: str | None = None,
                site: str | None = None, more: list[Story] = (), rng: random.Random,
                story_key: str = "", own_blocks: list[tuple[str, str]] | None = None) -> HoldoutPage:
    """A full page in `template` (a key of TEMPLATES) for one article.
    `blocks` may carry copy furniture; `own_blocks` (default `blocks`) are the
    blocks extraction must keep. Raises KeyError for an unknown template."""
    f = Furniture()
    r = Render(title, author, published, lang, list(blocks), site or SITES[template][0], url,
               canonical or url, rng, list(more))
    html = TEMPLATES[template](r, f)
    foreign = [t for s in more for _, t in s.blocks]
    return HoldoutPage(url=url, html=html, template=template, story_key=story_key, title=title,
                       published=published, body=list(own_blocks if own_blocks is not None else blocks),
                       boiler_lines=f.lines, boiler_stubs=f.stubs, foreign=foreign)


# ==================================================================================
# Syndicated copies, made the way republishers make them
# ==================================================================================

# British -> American, with inflections spelled out (a copy desk's house-style pass).
_UK_US = {
    "harbour": "harbor", "harbours": "harbors", "neighbouring": "neighboring", "neighbours": "neighbors",
    "neighbour": "neighbor", "labour": "labor", "favour": "favor", "colour": "color", "honour": "honor",
    "behaviour": "behavior", "organise": "organize", "organised": "organized", "organisers": "organizers",
    "realise": "realize", "apologise": "apologize", "criticise": "criticize", "criticised": "criticized",
    "recognise": "recognize", "prioritise": "prioritize", "stabilised": "stabilized", "personalise": "personalize",
    "centre": "center", "centres": "centers", "metre": "meter", "metres": "meters", "kilometre": "kilometer",
    "kilometres": "kilometers", "theatre": "theater", "travelled": "traveled", "cancelled": "canceled",
    "travelling": "traveling", "modelling": "modeling", "defence": "defense", "defences": "defenses",
    "programme": "program", "grey": "gray", "whilst": "while", "towards": "toward", "amongst": "among",
    "tonnes": "tons", "cheque": "check", "catalogue": "catalog", "licence": "license", "licences": "licenses",
    "enrol": "enroll", "fulfil": "fulfill", "storey": "story", "aluminium": "aluminum", "pyjamas": "pajamas",
}
_US_UK = {v: k for k, v in _UK_US.items()}
_WORD = re.compile(r"[A-Za-z]+")


def respell(text: str, table: dict[str, str]) -> str:
    """Swap spellings word by word, keeping a capital initial."""
    def swap(m: re.Match) -> str:
        w = m.group(0)
        new = table.get(w.lower())
        if new is None:
            return w
        return new.capitalize() if w[0].isupper() else new
    return _WORD.sub(swap, text)


def to_american(text: str) -> str:
    text = respell(text, _UK_US)
    return re.sub(r"\bper cent\b", "percent", text)


def to_british(text: str) -> str:
    text = respell(text, _US_UK)
    return re.sub(r"\bpercent\b", "per cent", text)


def reformat_numbers(text: str) -> str:
    """A house style for numbers: no thousands separators, "%" for percent,
    "km" for kilometres, "am/pm" without dots."""
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    text = re.sub(r"(\d) ?(?:percent|per cent)\b", r"\1%", text)
    text = re.sub(r"(\d) kilomet(?:re|er)s?\b", r"\1km", text)
    return text.replace("a.m.", "am").replace("p.m.", "pm")


def straighten_quotes(text: str) -> str:
    return (text.replace("\u201c", '"').replace("\u201d", '"').replace("\u2018", "'").replace("\u2019", "'")
            .replace(" \u2014 ", " - ").replace("\u2014", "--"))


def curl_quotes(text: str) -> str:
    text = re.sub(r'(^|[\s(\[])"', "\\1\u201c", text)
    text = text.replace('"', "\u201d")
    text = re.sub(r"(\w)'(\w)", "\\1\u2019\\2", text)
    text = re.sub(r"(^|\s)'", "\\1\u2018", text).replace("'", "\u2019")
    return text.replace(" - ", " \u2013 ")


_SENT = re.compile(r"(?<=[.!?])[\"\u201d]?\s+(?=[A-Z\"\u201c])")


def sentences_of(text: str) -> list[str]:
    return [s for s in _SENT.split(text) if s]


_DATELINE = re.compile(r"^([A-Z][A-Z .'-]{2,30}) [\u2014-] ")

WIRES = ("Reuters", "AFP", "AP", "dpa", "ANSA")
SYNDICATORS = ("The Kestrel Review", "Coastline Dispatch", "Marrowfield Post", "Eastbay Chronicle", "Pennine Wire")


def _texts(blocks: list[tuple[str, str]], fn) -> list[tuple[str, str]]:
    return [(k, fn(t) if k in ("p", "h2", "quote") else t) for k, t in blocks]


def add_dateline(blocks, story: Story, rng: random.Random, style: str) -> list[tuple[str, str]]:
    """A wire dateline on the first paragraph, replacing the original's own."""
    blocks = list(blocks)
    i = next(i for i, (k, _) in enumerate(blocks) if k == "p")
    text = blocks[i][1]
    m = _DATELINE.match(text)
    city = m.group(1).title() if m else rng.choice(("London", "Paris", "Brussels", "Geneva"))
    text = text[m.end():] if m else text
    when = datetime.fromisoformat(story.published)
    wire = rng.choice(WIRES)
    if style == "reuters":
        line = f"{city.upper()} ({wire}) - "
    else:
        line = f"{city.upper()}, {when.strftime('%b')} {when.day} ({wire}) \u2014 "
    blocks[i] = ("p", line + text)
    return blocks


def drop_middle(blocks, rng):
    idx = [i for i, (k, _) in enumerate(blocks) if k == "p"][1:-1]
    if len(idx) < 3:
        return list(blocks)
    i = rng.choice(idx)
    return blocks[:i] + blocks[i + 1:]


def merge_and_split(blocks, rng):
    """Two neighbouring paragraphs merged into one, and another long
    paragraph split in two at a sentence boundary."""
    blocks = list(blocks)
    ps = [i for i, (k, _) in enumerate(blocks) if k == "p"]
    pairs = [i for i in ps[1:-1] if i + 1 in ps]
    if pairs:
        i = rng.choice(pairs)
        sep = "" if _spaceless(blocks[i][1]) else " "
        blocks[i:i + 2] = [("p", blocks[i][1] + sep + blocks[i + 1][1])]
    ps = [i for i, (k, t) in enumerate(blocks) if k == "p" and len(sentences_of(t)) >= 3]
    if ps:
        i = rng.choice(ps)
        s = sentences_of(blocks[i][1])
        cut = len(s) // 2
        blocks[i:i + 1] = [("p", " ".join(s[:cut])), ("p", " ".join(s[cut:]))]
    return blocks


def add_captions(blocks, rng, k=2):
    blocks = list(blocks)
    for caption, credit in rng.sample(CAPTIONS, k):
        i = rng.randrange(1, max(2, len(blocks)))
        blocks.insert(i, ("figure", f"{caption}\x00{credit}"))
    return blocks


def rewrite_headline(title: str, rng: random.Random) -> str:
    if _spaceless(title):
        return title[: max(6, len(title) * 2 // 3)] + "\u3000" + rng.choice(("（转载）", "（詳報）", "【速報】"))
    style = rng.randrange(4)
    if style == 0:
        small = {"a", "an", "the", "of", "in", "on", "at", "to", "for", "and", "as", "by", "with", "after", "over"}
        words = title.split()
        return " ".join(w if (i and w.lower() in small) else w[:1].upper() + w[1:] for i, w in enumerate(words))
    if style == 1:
        return f"UPDATE 2-{title}"
    if style == 2:
        return f"{title.split(' after ')[0].split(' as ')[0]}: what we know so far"
    return f"{rng.choice(('Watch', 'Explained', 'In pictures'))}: {title[0].lower()}{title[1:]}"


_NOSPACE_CH = re.compile(r"[\u0e00-\u0eff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")


def _spaceless(text: str) -> bool:
    return len(_NOSPACE_CH.findall(text)) > len(text) / 4


def _first_ps(blocks, n):
    out, seen = [], 0
    for k, t in blocks:
        if seen == n:
            break
        out.append((k, t))
        seen += k == "p"
    return out


# kind -> (description, maker(story, rng) -> (title, blocks, url_suffix))
COPY_KINDS = (
    "dateline_reuters", "dateline_afp", "via_top", "ht_bottom", "editors_note", "drop_paragraph",
    "merge_split", "us_uk_spelling", "quotes_numbers", "captions_added", "updated_note", "combined",
    "sentences_trimmed", "lede_rewritten", "blog_commentary", "excerpt_1",
    "excerpt_2", "excerpt_3", "excerpt_4", "trimmed_third", "tracking_params", "amp_url",
)

_COMMENTARY = (
    "This is worth your time, and it is the kind of local reporting that rarely travels beyond the region. "
    "I have been following the story for a while and the piece below sets out the facts better than anything "
    "else I have read. Here is how it begins:",
    "A colleague sent me this one. I am not sure I agree with every conclusion the officials draw, but the "
    "reporting is solid and the numbers are worth knowing before anyone starts arguing about them. The opening:",
)


def make_copy(kind: str, story: Story, rng: random.Random) -> tuple[str, list[tuple[str, str]]]:
    """(headline, blocks) of a copy of `story` of the given kind (one of
    COPY_KINDS; "tracking_params" and "amp_url" keep the original's blocks,
    the caller changes the URL/template). Raises ValueError for an unknown kind."""
    b = list(story.blocks)
    src = rng.choice(SYNDICATORS)
    title = rewrite_headline(story.title, rng)
    spelling = to_american if rng.random() < 0.8 else to_british
    if kind == "dateline_reuters":
        return title, add_dateline(b, story, rng, "reuters")
    if kind == "dateline_afp":
        return title, _texts(add_dateline(b, story, rng, "afp"), straighten_quotes)
    if kind == "via_top":
        return title, [("note", f"Via {src}:")] + b
    if kind == "ht_bottom":
        return title, b + [("note", f"H/T {src}. Source: {rng.choice(WIRES)}")]
    if kind == "editors_note":
        note = (f"Editor's note: This article was first published by {src} and is republished here under "
                f"a content-sharing agreement.")
        return title, ([("note", note)] + b) if rng.random() < 0.5 else (b + [("note", note)])
    if kind == "drop_paragraph":
        return title, drop_middle(b, rng)
    if kind == "merge_split":
        return title, merge_and_split(b, rng)
    if kind == "us_uk_spelling":
        return title, _texts(b, spelling)
    if kind == "quotes_numbers":
        return title, _texts(b, lambda t: reformat_numbers(curl_quotes(straighten_quotes(t))))
    if kind == "captions_added":
        return title, add_captions(b, rng)
    if kind == "updated_note":
        return title, ([("note", "This story has been updated with a statement from the authorities.")] + b
                       + [("note", "Correction: an earlier version of this article gave the wrong day for the meeting.")])
    if kind == "combined":
        b = add_dateline(drop_middle(b, rng), story, rng, rng.choice(("reuters", "afp")))
        b = _texts(b, lambda t: reformat_numbers(straighten_quotes(spelling(t))))
        b = add_captions(merge_and_split(b, rng), rng, 1)
        return title, b + [("note", f"Editor's note: republished from {src}.")]
    if kind == "sentences_trimmed":
        # A copy desk cutting for space: the last sentence of every paragraph that has three or more.
        return title, [(k, " ".join(sentences_of(t)[:-1]) if k == "p" and len(sentences_of(t)) >= 3 else t)
                       for k, t in b]
    if kind == "lede_rewritten":
        i = next(i for i, (k, _) in enumerate(b) if k == "p")
        when = datetime.fromisoformat(story.published)
        lede = (f"{story.title.rstrip('.')}, according to reports on {when:%A}. Here is what we know so far about "
                f"what happened and what comes next.")
        return title, b[:i] + [("p", lede)] + b[i + 1:]
    if kind == "blog_commentary":
        part = _first_ps(b, 3)
        return title, ([("p", rng.choice(_COMMENTARY))] + [("quote", t) if k == "p" else (k, t) for k, t in part]
                       + [("note", f"Read the rest at {src}.")])
    if kind.startswith("excerpt_"):
        n = int(kind.split("_")[1])
        part = _first_ps(b, n)
        ending = rng.choice((f"Continue reading at {src} \u2026", f"Read the full story at {src}",
                             f"[\u2026] Continue reading on {src}"))
        return title, part + [("note", ending)]
    if kind == "trimmed_third":
        ps = [i for i, (k, _) in enumerate(b) if k == "p"]
        cut = ps[len(ps) - max(1, len(ps) // 3)]
        return title, b[:cut] + [("note", f"This article originally appeared on {src}.")]
    if kind in ("tracking_params", "amp_url"):
        return story.title, b
    raise ValueError(f"unknown copy kind {kind!r}")


# ==================================================================================
# The corpora
# ==================================================================================


def sample_stories() -> list[Story]:
    """The sample web's articles as Stories (their topic is the group)."""
    from tests.sampleweb.articles import ARTICLES
    return [Story(a.slug, a.title, a.author, a.published + "T09:00:00+00:00", a.lang, a.topic,
                  tuple(("p", p) for p in a.paragraphs)) for a in ARTICLES]


def all_stories() -> list[Story]:
    """Every original: the sample web's, ours, the follow-up and the roundup."""
    stories = sample_stories()
    by_key = {s.key: s for s in stories}
    followup = aarvik_followup(by_key["aarvik-lakeside-tram-opens"].paragraphs)
    picks = ["orange-cloud-forest-frog", "valdera-marathon-course-record", "torvane-brno-packaging-plant",
             "oyvik-church-doors-return", "lenz-valley-apricot-frost"]
    roundup = weekly_roundup([(by_key[k].title, by_key[k].paragraphs[0]) for k in picks])
    return stories + list(OWN_STORIES) + [followup, roundup]


# Pairs that are different articles and must stay apart, by kind.
def negative_pairs(stories: list[Story]) -> list[tuple[str, str, str]]:
    """(kind, key_a, key_b) for every pair of different articles that a
    careless dedup would merge."""
    by_group: dict[str, list[str]] = {}
    for s in stories:
        by_group.setdefault(s.group, []).append(s.key)
    pairs = []
    for group in ("halvern-port-strike", "ostra-flood"):
        keys = by_group[group]
        pairs += [("same_topic_sample", a, b) for i, a in enumerate(keys) for b in keys[i + 1:]]
    pairs.append(("shared_long_quote", "sarn-farmers-brace", "sarn-brewers-prices"))
    d = by_group["dorrow-quake"]
    pairs += [("shared_wire_lead", a, b) for i, a in enumerate(d) for b in d[i + 1:]]
    w = by_group["weather-warnings"]
    pairs += [("templated_briefs", a, b) for i, a in enumerate(w) for b in w[i + 1:]]
    pairs.append(("follow_up_quotes_2_paras", "aarvik-tram-first-month", "aarvik-lakeside-tram-opens"))
    for k in ["orange-cloud-forest-frog", "valdera-marathon-course-record", "torvane-brno-packaging-plant",
              "oyvik-church-doors-return", "lenz-valley-apricot-frost"]:
        pairs.append(("roundup_of_leads", "weekly-roundup", k))
    return pairs


def _url(host: str, story: Story, suffix: str = "") -> str:
    when = datetime.fromisoformat(story.published)
    return f"https://{host}/{when:%Y/%m}/{story.key}{suffix}/"


def extraction_pages(seed: int = 11) -> list[HoldoutPage]:
    """Every story in every template. JNews pages carry two further stories
    below the first (infinite scroll); the live blog template only gets
    stories whose paragraphs stand alone as entries."""
    rng = random.Random(seed)
    stories = all_stories()
    pages = []
    for t in TEMPLATES:
        for s in stories:
            more = rng.sample([o for o in stories if o.key != s.key and o.lang == "en"], 2) if t in SCROLL_TEMPLATES else []
            host = SITES[t][1]
            pages.append(render_page(t, title=s.title, author=s.author, published=s.published, lang=s.lang,
                                     blocks=list(s.blocks), url=_url(host, s), more=more, rng=rng, story_key=s.key))
    return pages


@dataclass
class CorpusPage:
    """A page of the dedup corpus: an original (`kind` "original") or a copy."""

    page: HoldoutPage
    story_key: str
    kind: str


def home_template(story: Story, i: int) -> str:
    if story.key == "live-storm-ardent":
        return "liveblog"
    if story.group == "halvern-port-strike" or story.group == "dorrow-quake":
        return "wp_jnews"
    if story.group == "ostra-flood":
        return "scroll_h2"
    names = [t for t in TEMPLATES if t not in ("liveblog", "amp") and t not in SCROLL_TEMPLATES]
    return names[i % len(names)]


def dedup_corpus(seed: int = 23) -> tuple[list[CorpusPage], list[tuple[str, str, str]]]:
    """Originals and their copies of every kind, plus the negative pairs.

    Originals of one event sit on one site: the Halvern and Dorrow stories on
    a JNews site whose pages append the other stories of the same event (as
    infinite scroll does), the Ostra stories on one tagDiv site."""
    rng = random.Random(seed)
    stories = all_stories()
    by_group: dict[str, list[Story]] = {}
    for s in stories:
        by_group.setdefault(s.group, []).append(s)
    out: list[CorpusPage] = []
    for i, s in enumerate(stories):
        t = home_template(s, i)
        more = [o for o in by_group[s.group] if o.key != s.key][:2] if t in SCROLL_TEMPLATES else []
        url = _url(SITES[t][1], s)
        original = render_page(t, title=s.title, author=s.author, published=s.published, lang=s.lang,
                               blocks=list(s.blocks), url=url, more=more, rng=rng, story_key=s.key)
        out.append(CorpusPage(original, s.key, "original"))
        if s.group == "roundup":
            continue
        for kind in COPY_KINDS:
            title, blocks = make_copy(kind, s, rng)
            if kind == "tracking_params":
                tracked = url + "?utm_source=newsletter&utm_medium=email&utm_campaign=morning&fbclid=IwAR0x7"
                page = HoldoutPage(**{**original.__dict__, "url": tracked})
            elif kind == "amp_url":
                page = render_page("amp", title=s.title, author=s.author, published=s.published, lang=s.lang,
                                   blocks=blocks, url=url + "amp/", canonical=url, site=SITES[t][0], rng=rng,
                                   story_key=s.key)
            else:
                ct = rng.choice([x for x in TEMPLATES if x != t and x != "liveblog" and x not in SCROLL_TEMPLATES])
                page = render_page(ct, title=title, author=rng.choice((s.author, "Wire staff", "Agency")),
                                   published=s.published, lang=s.lang, blocks=blocks,
                                   url=_url(SITES[ct][1], s, "-" + kind.replace("_", "-")), rng=rng, story_key=s.key)
            out.append(CorpusPage(page, s.key, kind))
    return out, negative_pairs(stories)
