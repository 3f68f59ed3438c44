"""The original articles of the sample news web, written by the wirecrawl
authors. Events, places and people are invented.

Two groups of three articles follow one event each (the Halvern port strike,
the Ostra river flood): same names, places, numbers and one shared quoted
sentence, yet different articles. They are the hardest negatives for
near-duplicate detection and must never end up in one cluster.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SampleArticle:
    """One original article. `topic` is shared by articles on the same event;
    `published` is an ISO date."""

    slug: str
    title: str
    author: str
    published: str
    lang: str
    topic: str
    paragraphs: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


HALVERN_STRIKE_BEGINS = SampleArticle(
    slug="halvern-dockworkers-strike",
    title="Halvern dockworkers strike over broken night-shift promise",
    author="Lena Marchetti",
    published="2024-03-04",
    lang="en",
    topic="halvern-port-strike",
    paragraphs=(
        "HALVERN — Dockworkers at the Port of Halvern walked off the job at 6 a.m. on Monday, "
        "halting the loading of container ships at the country's second-busiest harbour and "
        "leaving at least 14 vessels waiting at anchor in the outer roads by midday, according "
        "to the port's own traffic board.",
        "The strike was called by the Harbour and Freight Workers' Union after talks over a new "
        "three-year contract collapsed late on Sunday night. The union represents about 3,200 "
        "crane operators, lashers and yard staff, and said roughly nine in ten of them had "
        "stayed away from the terminals on the first shift.",
        "\"We are not asking for anything that was not promised to us in 2019,\" union secretary "
        "Maren Osk told reporters outside the gates of Terminal 4, where several hundred workers "
        "had gathered with banners and thermos flasks in the cold. \"The company signed that "
        "promise. Now it wants us to forget it.\"",
        "At the heart of the dispute is a pledge, made during the last round of bargaining five "
        "years ago, to cap compulsory night shifts at eight a month once the new automated yard "
        "at Terminal 6 came into service. The yard opened last autumn. The union says night "
        "rotas have since risen, not fallen, for most of its members.",
        "Halvern Port Authority chief executive Daniel Ferreira said the authority had offered a "
        "4.5 percent pay rise in the first year and a review of shift patterns within six "
        "months. \"We have put a fair offer on the table and it remains there,\" Ferreira said in "
        "a statement released at 9:40 a.m. \"A stoppage helps nobody, least of all the families "
        "who depend on this port.\"",
        "The port handled 2.1 million containers last year, and the authority estimates that "
        "each day of lost work delays cargo worth about 180 million euros. Freight forwarders "
        "said refrigerated goods, including fruit from South America and fish bound for inland "
        "processors, were the most exposed if the stoppage lasted beyond Wednesday.",
        "Shipping lines began advising customers to expect delays. One of the largest, the "
        "Baltic-Atlantic Line, said it would divert two of its weekly services to the "
        "neighbouring port of Saltmarsh, about 90 kilometres up the coast, though that harbour "
        "has less than half of Halvern's crane capacity.",
        "The transport ministry urged both sides to return to talks and offered the services of "
        "the state mediation office. A spokesman said Minister Ilse Varga was \"following the "
        "situation hour by hour\" but had no plans to intervene directly at this stage.",
        "The union said the strike would continue \"until there is a written commitment on night "
        "shifts,\" and picket lines were scheduled around the clock at all six terminals. It is "
        "the first full stoppage at Halvern since a two-day walkout in 2011, when crane "
        "operators protested against the closure of the old grain quay.",
        "Businesses around the harbour felt the effect within hours. The cafés and canteens "
        "along Quay Street, which depend on the shift changes at the terminals, said trade on "
        "Monday morning was a fraction of normal, and several taxi drivers who usually wait at "
        "the ferry terminal said they had driven home before noon.",
    ),
)

HALVERN_STRIKE_CARGO = SampleArticle(
    slug="halvern-strike-strands-reefers",
    title="Halvern port strike strands refrigerated cargo as talks stay frozen",
    author="Tobias Lind",
    published="2024-03-06",
    lang="en",
    topic="halvern-port-strike",
    paragraphs=(
        "HALVERN — Refrigerated containers were stacking up on the quays of the Port of Halvern "
        "on Wednesday as a strike by dockworkers entered its third day, with importers warning "
        "that fruit and frozen fish worth tens of millions of euros could spoil before the "
        "dispute is settled.",
        "Around 40 ships were anchored off the harbour or holding in the channel by Wednesday "
        "afternoon, up from 14 on Monday, the Halvern Port Authority said. The authority put the "
        "cost of the stoppage at about 180 million euros in delayed cargo per day, a figure the "
        "union disputes as inflated.",
        "Importers' association chair Ruth Abernathy said at least 600 refrigerated containers, "
        "known in the trade as reefers, were plugged into the port's power points with no one to "
        "move them. \"Reefers can wait a few days if the power stays on. Bananas cannot wait a "
        "fortnight,\" she said.",
        "The Harbour and Freight Workers' Union, which represents about 3,200 dock staff, said "
        "its members would keep the reefer plugs powered as a goodwill measure but would not "
        "load or unload any cargo. Union secretary Maren Osk repeated the line she has used "
        "since the strike began: \"We are not asking for anything that was not promised to us "
        "in 2019.\"",
        "No talks were held on Tuesday or Wednesday. The state mediation office said it had "
        "spoken separately to both sides by telephone and hoped to bring them into the same room "
        "before the weekend. Port Authority chief executive Daniel Ferreira said he was \"ready "
        "to meet at any hour\" but would not withdraw the existing offer of a 4.5 percent pay "
        "rise.",
        "The dispute turns on night shifts. In 2019 the union accepted a slower pay rise in "
        "exchange for a promise to cap compulsory night work at eight shifts a month once the "
        "automated yard at Terminal 6 opened. Union rotas seen by this agency show the median "
        "crane operator worked eleven night shifts in January.",
        "The effects are spreading inland. Two food processing plants in the Kessel valley said "
        "they would halt production lines on Thursday for lack of raw fish, and a car assembly "
        "plant near Dornheim warned that it had parts for only five more days. Road hauliers "
        "reported that around 700 trucks a day were no longer being booked at the port.",
        "Some cargo is moving elsewhere. The neighbouring port of Saltmarsh, 90 kilometres "
        "north, said it had received requests for an extra 30 vessel calls this week and was "
        "running its cranes on three shifts. \"We are helping where we can, but we are not "
        "Halvern,\" said Saltmarsh harbour master Piet Dekker.",
        "Economists at the national statistics institute said a strike lasting a week would "
        "shave roughly 0.1 percentage points off first-quarter growth, most of which would be "
        "recovered once the waiting ships were cleared. A stoppage of a month, they added, "
        "would be a different matter.",
    ),
)

HALVERN_STRIKE_ENDS = SampleArticle(
    slug="halvern-strike-ends",
    title="Halvern dockworkers vote to end strike after night-shift cap deal",
    author="Lena Marchetti",
    published="2024-03-11",
    lang="en",
    topic="halvern-port-strike",
    paragraphs=(
        "HALVERN — Dockworkers at the Port of Halvern voted on Monday to accept a deal capping "
        "compulsory night shifts, ending an eight-day strike that left more than 50 ships "
        "waiting offshore and disrupted food and car supply chains far inland.",
        "Members of the Harbour and Freight Workers' Union backed the agreement by 2,184 votes "
        "to 611 in a ballot held at the union hall on Quay Street, a turnout of about 87 percent "
        "of its 3,200 members. Work was to resume with the 10 p.m. shift, the union said.",
        "Under the agreement, brokered over a weekend of talks at the state mediation office, no "
        "dockworker will be scheduled for more than eight night shifts a month from June 1. "
        "Workers who volunteer for extra nights will be paid double time rather than time and a "
        "half. The first-year pay rise stays at 4.5 percent, as the port authority had "
        "originally offered.",
        "\"We are not asking for anything that was not promised to us in 2019 — and now it is "
        "written down, with a date on it,\" union secretary Maren Osk said after the result was "
        "announced, to cheers from members who had crowded into the hall. She said the union "
        "would check the rotas every month and publish the figures.",
        "Halvern Port Authority chief executive Daniel Ferreira said the deal would cost the "
        "authority about 11 million euros a year, largely in extra hiring to cover night work. "
        "The authority plans to recruit 140 additional crane operators and yard staff over the "
        "next twelve months. \"It is a price worth paying to have this port working again,\" he "
        "said.",
        "Clearing the backlog will take time. The authority said it expected to work through the "
        "queue of waiting vessels in nine to twelve days, giving priority to ships carrying "
        "refrigerated cargo and medicines. Terminal 6, the automated yard at the centre of the "
        "dispute, will run around the clock until then.",
        "Transport Minister Ilse Varga welcomed the deal and thanked the mediators, but said the "
        "government would review whether ports that handle essential goods should be covered by "
        "minimum-service rules during strikes. The union said it would fight any such law in "
        "parliament and, if necessary, in the courts.",
        "Shipping lines said they would restore their normal Halvern schedules from next week. "
        "The Baltic-Atlantic Line, which diverted two weekly services to Saltmarsh during the "
        "strike, said it would bring them back once berth slots had been confirmed.",
        "The eight-day stoppage was the longest at Halvern in more than three decades. Importers "
        "said they would ask the port authority to waive storage charges on containers that sat "
        "on the quays during the strike, a request Ferreira said he would consider.",
        "Union members leaving the ballot were relieved rather than jubilant. \"Eight days "
        "without pay is a long time for a family with a mortgage,\" said crane operator Jakob "
        "Thiel, who has worked at Terminal 2 for nineteen years. \"But my daughter asked me why "
        "I was never home at night. Now I can give her an answer.\"",
    ),
)

OSTRA_FLOOD_EVACUATION = SampleArticle(
    slug="ostra-river-floods-kellbridge",
    title="Ostra river bursts its banks, forcing 4,000 from their homes in Kellbridge",
    author="Hannah Okafor",
    published="2024-05-14",
    lang="en",
    topic="ostra-flood",
    paragraphs=(
        "KELLBRIDGE — About 4,000 people were evacuated from low-lying streets of Kellbridge on "
        "Tuesday after the Ostra River burst its banks following three days of heavy rain, "
        "flooding the old town centre to a depth of more than a metre in places.",
        "The river peaked at 6.42 metres at the Kellbridge gauge shortly after 4 a.m., the "
        "regional water agency said, nearly a metre above the previous record set in 1997. "
        "Sandbag walls along the Mill Quay were overtopped within an hour, and water poured into "
        "the market square, the railway underpass and the lower floors of St. Brennan's "
        "Hospital.",
        "\"The water came faster than any model we had told us it would,\" said Priya "
        "Nandakumar, the regional emergency coordinator, at a briefing in the town's fire "
        "station. \"By the time we had the second evacuation order out, people in Tanner's Row "
        "were already standing on their kitchen tables.\"",
        "Rescue crews used boats to take around 300 people from upper windows and roofs, the "
        "fire service said. Two people were taken to hospital with hypothermia. No deaths had "
        "been reported by Tuesday evening, but police said they were still trying to reach "
        "eleven residents of a care home on Weir Lane whose staff had moved them to an upper "
        "floor.",
        "St. Brennan's Hospital moved 62 patients, including six from intensive care, to "
        "hospitals in Ardley and Fenwick overnight. The hospital's basement, which houses its "
        "backup generators, was flooded, and it was running on a mobile generator brought in by "
        "the army.",
        "Mayor Tomas Reinholt said three school buildings and the sports hall on Hill Road had "
        "been opened as shelters and that about 1,100 people had spent the night there. "
        "\"Kellbridge has flooded before, but not like this. I have never seen the square under "
        "water,\" he said.",
        "The state weather service forecast a further 20 to 30 millimetres of rain over the "
        "catchment on Wednesday, and the water agency warned that the Ostra could rise again by "
        "up to 30 centimetres before falling on Thursday. Towns further downstream, including "
        "Marlow Ferry and Oudendorp, were told to prepare their own defences.",
        "Rail services between Kellbridge and the regional capital were suspended because of the "
        "flooded underpass, and the A14 road bridge was closed as a precaution while engineers "
        "checked its piers for damage from debris carried down by the current.",
        "The regional government said it would release 15 million euros in emergency aid and "
        "asked residents not to return home until the fire service had checked their buildings. "
        "A telephone line for people looking for relatives was set up at the town hall.",
        "In the market square, where the water stood waist-deep at dawn, shop owners watched "
        "from the steps of the town hall as firefighters pumped out the underpass. \"We moved "
        "the stock upstairs on Sunday because the radio said the river might reach the quay,\" "
        "said baker Jan Vos. \"Nobody said it would reach the church.\"",
    ),
)

OSTRA_FLOOD_CLEANUP = SampleArticle(
    slug="kellbridge-cleanup-warnings",
    title="Kellbridge begins clean-up as Ostra floodwater recedes, questions over warnings",
    author="Marcus Feld",
    published="2024-05-16",
    lang="en",
    topic="ostra-flood",
    paragraphs=(
        "KELLBRIDGE — Residents of Kellbridge began returning to mud-filled homes on Thursday as "
        "the Ostra River fell back below its banks, while the regional government faced "
        "questions over why evacuation warnings reached some streets only after the water did.",
        "The river was measured at 4.90 metres at the Kellbridge gauge at noon, down from its "
        "record peak of 6.42 metres early on Tuesday, the regional water agency said. The fire "
        "service said it had checked about 1,400 buildings and cleared two-thirds of them for "
        "people to go back in.",
        "In Tanner's Row, one of the worst-hit streets, neighbours carried ruined sofas, carpets "
        "and fridges onto the pavement. \"Everything below the second step is gone,\" said Agnes "
        "Holm, 71, who has lived on the street since 1979. \"We got the text message at half "
        "past four. The water was already at the door.\"",
        "Regional emergency coordinator Priya Nandakumar acknowledged that the second evacuation "
        "order had gone out later than planned. \"The water came faster than any model we had "
        "told us it would,\" she told a regional council committee on Thursday. \"That is not an "
        "excuse. It is the thing we now have to fix.\"",
        "Opposition councillors said the water agency's forecasting model had not been updated "
        "since a new retention basin upstream at Halden was completed in 2021, a change "
        "engineers say may have altered how quickly floodwater reaches the town. The agency said "
        "it would commission an independent review and publish the results.",
        "The cost of the damage is not yet clear. The regional insurers' association estimated "
        "insured losses at between 120 and 180 million euros, and said many households in the "
        "old town had no flood cover because premiums there had risen sharply after 1997.",
        "Mayor Tomas Reinholt said about 300 people were still staying in school shelters and "
        "the sports hall on Hill Road. The town has set up a registry for volunteers after more "
        "than 2,000 people offered help on its website in a single day. \"We need shovels and "
        "dry hands more than we need donations of clothes,\" he said.",
        "St. Brennan's Hospital said it expected to reopen its emergency department on Monday, "
        "once its flooded basement had been pumped out and the backup generators tested. The 62 "
        "patients moved on Tuesday night will stay in Ardley and Fenwick until then.",
        "Rail services to the regional capital are due to resume on Saturday, but the A14 road "
        "bridge will remain closed for at least another week while divers inspect its piers. "
        "Buses will run a shuttle between the station and the town centre in the meantime.",
        "Farmers upstream of the town reported their own losses. About 2,300 hectares of "
        "pasture and maize fields along the Ostra were still under water on Thursday, the "
        "regional farmers' union said, and several dairy farms near Halden had moved their "
        "herds to higher ground using borrowed trailers.",
    ),
)

OSTRA_FLOOD_DEFENCES = SampleArticle(
    slug="ostra-flood-defences-pledge",
    title="Ostra flood: region pledges 95 million euros for new Kellbridge defences",
    author="Hannah Okafor",
    published="2024-05-22",
    lang="en",
    topic="ostra-flood",
    paragraphs=(
        "KELLBRIDGE — The regional government on Wednesday promised 95 million euros for new "
        "flood defences along the Ostra River, a week after record floodwater swamped the centre "
        "of Kellbridge and forced about 4,000 people from their homes.",
        "The plan, announced by regional premier Elsa Marchand at the town hall, includes a "
        "removable flood wall along the Mill Quay, a larger pumping station at the railway "
        "underpass and a second retention basin on farmland north of the town. Construction of "
        "the wall is due to start next spring and finish by the end of 2026.",
        "\"Kellbridge has been told for twenty-five years that the 1997 flood was the worst it "
        "would see. That promise did not hold, and we will not make it again,\" Marchand said. "
        "The river peaked at 6.42 metres on May 14, almost a metre above the 1997 level.",
        "Regional emergency coordinator Priya Nandakumar presented a first account of the "
        "emergency response to the council. She said 312 people had been rescued by boat, 1,100 "
        "had spent at least one night in shelters and two had been treated for hypothermia. No "
        "one died. She repeated the sentence she used on the first morning: \"The water came "
        "faster than any model we had told us it would.\"",
        "The water agency said an early analysis showed the river rose about 40 percent faster "
        "than its forecast model had predicted between midnight and 3 a.m. on the night of the "
        "flood. The agency has hired engineers from the technical university in Fenwick to "
        "rebuild the model, and said it would run the old and new versions side by side through "
        "the coming winter.",
        "Local businesses said the pledge would come too late for some of them. Of the 86 shops "
        "and cafés in the old town, 31 have said they will stay closed for at least a month, "
        "according to the Kellbridge traders' association. Its chair, Ben Ashdown, called for "
        "grants of up to 20,000 euros per business rather than loans.",
        "Mayor Tomas Reinholt said the last families had left the school shelters on Tuesday, "
        "and classes would resume on Monday. He said the town had logged 2,600 volunteer shifts "
        "since the flood. \"The town cleaned itself up. Now the region has to make sure it does "
        "not have to do it again,\" he said.",
        "Insurers said the number of claims had passed 3,400. The national government has not "
        "yet said whether it will add its own money to the regional fund, but a spokeswoman for "
        "the interior ministry said a decision would be made before the summer recess.",
        "The A14 road bridge over the Ostra reopened to cars on Wednesday morning, though trucks "
        "over 7.5 tonnes remain banned until repairs to one of its piers are complete.",
        "Residents at the town hall meeting were cautious. \"Walls and basins are fine, but what"
        " we needed on the night was a warning that came in time,\" said Agnes Holm, whose house"
        " on Tanner's Row is still drying out. Marchand said a new siren system covering the "
        "old town would be installed before the autumn storms.",
    ),
)

ORANGE_FROG = SampleArticle(
    slug="orange-cloud-forest-frog",
    title="Scientists name thumbnail-sized orange frog found in Andean cloud forest",
    author="Sofia Reyes",
    published="2024-02-19",
    lang="en",
    topic="new-frog-species",
    paragraphs=(
        "LOJA, Ecuador — A frog smaller than a thumbnail, with bright orange skin and a call "
        "that sounds like a dripping tap, has been described as a new species by a team of "
        "Ecuadorian and German biologists, who say it may already be threatened by cattle "
        "farming in the single valley where it has been found.",
        "The frog, named Pristimantis ignitus, was first heard in 2021 by field assistant Rosa "
        "Chalán during a night survey in a patch of cloud forest about 2,300 metres above sea "
        "level in the province of Zamora Chinchipe. The team spent two more seasons recording "
        "its call and collecting a small number of specimens before publishing its description "
        "this week.",
        "Adult males measure between 14 and 17 millimetres from snout to vent, the paper says. "
        "Like other species in its genus, it skips the tadpole stage: eggs laid in damp moss "
        "hatch directly into miniature froglets, so the frogs do not need streams or ponds to "
        "breed.",
        "\"When Rosa played me the recording, I thought it was water falling from a leaf,\" said "
        "lead author Daniel Mora, a biologist at a university in Loja. \"It took us three nights "
        "with headlamps to find one. They sit inside bromeliads, and when you shine a light on "
        "them they glow like a coal.\"",
        "Genetic analysis showed the frog differs by more than 6 percent in a commonly used "
        "mitochondrial gene from its nearest known relative, a gap the authors say is well above "
        "what separates recognised species in the group. Its call, a series of 9 to 14 short "
        "notes, is also distinct from those of its neighbours.",
        "The team found the frog at only four sites, all within roughly 12 square kilometres of "
        "forest along one river valley. Satellite images analysed for the study show that about "
        "18 percent of the forest in the valley was cleared for pasture between 2001 and 2022.",
        "The authors recommend that the species be listed as Endangered. \"We named it after "
        "fire because of its colour, but also because we want people to understand that its "
        "forest is burning away,\" said co-author Lena Hartmann, a herpetologist based in Bonn.",
        "Ecuador is home to more than 600 known amphibian species, one of the highest counts of "
        "any country, and researchers describe several new frogs there every year. Many of them "
        "are known from a single mountain or valley, which makes them vulnerable to even small "
        "changes in land use.",
        "A local community association has offered to set aside 300 hectares of its land as a "
        "reserve if money can be found to compensate families for lost grazing, Mora said. Talks "
        "with the provincial government are due to begin in April.",
        "Specimens collected for the study have been deposited in a natural history collection "
        "in Quito, and recordings of the frog's call have been published online so that other "
        "field teams can listen for it in neighbouring valleys where it has not yet been looked"
        " for.",
    ),
)

VALDERA_MARATHON = SampleArticle(
    slug="valdera-marathon-course-record",
    title="Chebet breaks course record as wind batters Valdera marathon",
    author="Paolo Serra",
    published="2024-04-07",
    lang="en",
    topic="valdera-marathon",
    paragraphs=(
        "VALDERA — Ruth Chebet of Kenya broke the course record at the Valdera Marathon on "
        "Sunday, finishing in 2 hours 19 minutes and 4 seconds despite a headwind that gusted "
        "above 40 kilometres an hour along the seafront for the second half of the race.",
        "The 27-year-old pulled away from Ethiopia's Tigist Alemu at the 35-kilometre mark, on "
        "the climb up to the old fortress, and won by 48 seconds. Alemu finished second in "
        "2:19:52, and Dutch runner Femke de Ruiter was third in 2:23:10, a personal best by more "
        "than two minutes.",
        "The previous record of 2:20:31 had stood since 2016. Chebet's time also earns her a "
        "bonus of 25,000 euros on top of the 40,000-euro winner's prize.",
        "\"At 30 kilometres I was thinking only about the wind, not the record,\" Chebet said. "
        "\"My coach shouted the split at 38 and I said, OK, now we go. My legs were finished but "
        "my head was not.\"",
        "In the men's race, Joel Kiplagat of Uganda won a sprint finish ahead of two Ethiopians "
        "in 2:07:45, almost three minutes outside the course record. Organisers said the wind "
        "had cost the leading men at least a minute and a half on the exposed stretch between "
        "the harbour and the lighthouse.",
        "About 14,500 runners started the race, a record for the event, which is in its 31st "
        "year. Medical staff treated 212 runners, mostly for cramps and exhaustion, and eleven "
        "were taken to hospital. All were in a stable condition on Sunday evening, organisers "
        "said.",
        "Race director Carla Montes said the organisers had considered moving the start half an "
        "hour earlier because of the forecast but decided against it to avoid disrupting the "
        "city's public transport plan. \"In hindsight the wind would have been just as strong at "
        "eight o'clock,\" she said.",
        "Tens of thousands of spectators lined the course despite the weather, many of them "
        "crowded into the narrow streets of the old town, where the runners pass twice. The city "
        "said all road closures had been lifted by 3 p.m., an hour earlier than last year.",
        "Chebet, who finished fourth at last year's world championships, said she hoped the win "
        "would earn her a place on Kenya's team for the summer. The national federation names "
        "its squad in June. The wheelchair races were won by Swiss athlete Nora Imhof and "
        "Spain's David Lozano, both in course records.",
        "Kiplagat, 24, was running only his second marathon. He said he had stayed in the "
        "middle of the leading group for as long as possible to shelter from the wind. \"The "
        "others did the work at the front. I waited, and waited, and then there were only 200 "
        "metres left,\" he said.",
        "Organisers said they would review the course before next year's race, including a "
        "possible change to the seafront section, and would publish the results of a survey of "
        "runners in the summer.",
    ),
)

TORVANE_PLANT = SampleArticle(
    slug="torvane-brno-packaging-plant",
    title="Torvane to build 1.2 billion euro chip packaging plant near Brno",
    author="Katarina Vesela",
    published="2024-06-13",
    lang="en",
    topic="torvane-plant",
    paragraphs=(
        "BRNO — Torvane Semiconductors will build a 1.2 billion euro chip packaging and testing "
        "plant on the outskirts of Brno, the company said on Thursday, creating about 1,500 jobs "
        "and giving central Europe its largest facility for the final stage of chip production.",
        "The plant, on a 40-hectare site next to the city's airport, will assemble and test "
        "chips used in car electronics and industrial power systems, taking silicon wafers made "
        "at Torvane's own factories in western Europe and turning them into finished parts ready "
        "to be soldered onto circuit boards.",
        "Construction is due to start in the autumn, with first production planned for the "
        "second half of 2026 and full capacity of about 4 million chips a week by 2028, chief "
        "executive Henrik Solberg said at a press conference with regional officials.",
        "\"Packaging used to be the part of the industry everyone sent to Asia because it was "
        "cheap and labour-intensive. That is no longer true,\" Solberg said. \"A lot of the "
        "performance of a modern chip now comes from how it is packaged, and our customers want "
        "that work done close to their own factories.\"",
        "The company expects to receive about 210 million euros in state aid, subject to "
        "approval by the European Commission. The regional government will pay for a new road "
        "link to the motorway and for extra capacity at the local water treatment works.",
        "\"It is a sensible bet,\" said Marta Novak, an analyst at a Prague brokerage. \"Car "
        "makers have spent three years trying to shorten their supply chains after the chip "
        "shortage. A packaging plant an hour's drive from a large share of Europe's car plants "
        "is an easy thing to sell to them.\"",
        "The plant will need about 400 engineers and technicians. Torvane said it had signed "
        "agreements with two local technical universities to fund 60 scholarships a year and to "
        "run a two-year training course for machine operators, starting in September.",
        "Environmental groups asked how much water the plant would use. The company said it "
        "would draw about 1.1 million cubic metres a year and recycle around 80 percent of what "
        "it uses, and that its roofs would carry solar panels with a capacity of 12 megawatts.",
        "Torvane shares rose 3.4 percent in Frankfurt trading after the announcement. The "
        "company reported revenue of 6.8 billion euros last year and has said it plans to spend "
        "about a fifth of that on new capacity in each of the next three years.",
        "The announcement follows a series of similar investments across the region as chip "
        "companies respond to European subsidies aimed at bringing production closer to "
        "customers. Analysts said packaging and testing plants are cheaper and quicker to build"
        " than wafer factories, which can cost ten times as much and take twice as long to "
        "equip.",
        "The mayor of Brno said the plant would be the largest private investment in the city's"
        " history. \"We have the universities and we have the people. What we needed was a "
        "reason for them to stay,\" he said.",
    ),
)

AARVIK_TRAM = SampleArticle(
    slug="aarvik-lakeside-tram-opens",
    title="Aarvik opens lakeside tram line after four years and 380 million euros",
    author="Jonas Eriksen",
    published="2024-08-24",
    lang="en",
    topic="aarvik-tram",
    paragraphs=(
        "AARVIK — The first passenger tram on Aarvik's new lakeside line left the central "
        "station at 5:32 a.m. on Saturday, ending four years of construction that turned the "
        "city's waterfront into a building site and ran 60 million euros over budget.",
        "The 9.4-kilometre line has 16 stops and links the centre with the former shipyard "
        "district of Nordhavn, where about 12,000 people now live in apartment blocks built over "
        "the past decade, and with the university campus at Lindholm. Trams will run every six "
        "minutes at peak times.",
        "Transport councillor Siri Aaland said the line was expected to carry about 35,000 "
        "passengers a day within two years, taking an estimated 9,000 car journeys off the "
        "lakeside road each weekday. \"For ten years people in Nordhavn were promised a tram. "
        "Today they can stop waiting at the bus stop in the rain,\" she said.",
        "The project cost 380 million euros, against an original budget of 320 million. An audit "
        "published last year blamed most of the overrun on contaminated soil found beneath the "
        "old shipyard, which had to be dug out and treated before tracks could be laid, and on a "
        "nine-month delay to the bridge over the Sund canal.",
        "Rides are free all weekend, and by noon on Saturday about 22,000 people had boarded, "
        "the operator said, with queues at Nordhavn stretching along the platform. Retired "
        "shipyard welder Arne Dahl, 74, rode the first tram. \"I built ships on this spot for "
        "31 years. I never thought I would ride a tram across it,\" he said.",
        "Not everyone is celebrating. Shopkeepers on Strandgata, which was closed to traffic for "
        "14 months during the works, say their trade fell by a third. A compensation scheme paid "
        "out 2.3 million euros to 140 businesses, but the traders' association says that covered "
        "less than half of their losses.",
        "The line uses 14 low-floor trams built in Spain, each 33 metres long with room for 210 "
        "passengers. They draw power from overhead wires except on a 600-metre stretch through "
        "the historic market square, where they run on batteries so that no wires have to be "
        "fixed to the protected buildings.",
        "The city council will decide in the autumn whether to extend the line by a further 3 "
        "kilometres to the hospital at Vika, at an estimated cost of 110 million euros. Aaland "
        "said she expected a majority in favour if the national government agreed to pay a "
        "third of the cost, as it did for the first section.",
        "Evening services will run until half past midnight on weekdays and until 2 a.m. on "
        "Fridays and Saturdays. The operator said it would add two more trams to the fleet next"
        " year if passenger numbers matched forecasts, and that bicycles would be allowed on "
        "board outside the rush hours.",
        "At Lindholm, students arriving for the new term will be the first to use the line for "
        "a daily commute. \"It used to take me forty minutes by bus,\" said engineering student "
        "Maja Lind. \"Now it is fourteen.\"",
    ),
)

OYVIK_DOORS = SampleArticle(
    slug="oyvik-church-doors-return",
    title="Carved church doors taken from Øyvik in 1911 return to the fjord",
    author="Ingeborg Lunde",
    published="2024-04-20",
    lang="en",
    topic="oyvik-doors",
    paragraphs=(
        "ØYVIK, Norway — Two carved oak doors that were removed from the church in Øyvik more "
        "than a century ago and spent most of the time since in a museum storeroom were returned "
        "to the village on Saturday, carried the last few hundred metres from the ferry quay by "
        "eight local men taking turns in pairs.",
        "The doors, each about 2.4 metres high, are decorated with interlaced dragons and vines "
        "and are thought to have been made in the late 12th century. They were taken out of the "
        "church in 1911, when the old timber building was partly rebuilt, and sold by the parish "
        "council to the Hallberg Museum of Cultural History in the city of Malmstad for 600 "
        "kroner.",
        "\"For a hundred and thirteen years, people in Øyvik have known these doors only from a "
        "black-and-white photograph in the parish hall,\" said Ingrid Solheim, who chairs the "
        "local history society and led the campaign for their return. \"My grandmother used to "
        "say the church had been left with its mouth open.\"",
        "The museum's board agreed to return the doors last year after a review found that the "
        "1911 sale had never been approved by the national heritage authority, as the law then "
        "required. Museum director Jonas Berg said the decision had not been made lightly. "
        "\"Museums are not in the business of giving their collections away. But we are in the "
        "business of telling the truth about how we came to have them.\"",
        "The doors will not go back on the church itself. Conservators said the wood is too "
        "fragile to be exposed to the coastal weather, and the building has had a plain pine "
        "door since 1911. Instead, they will be displayed in a new climate-controlled room built "
        "onto the parish hall, paid for with 4.2 million kroner from the county and a local "
        "savings bank.",
        "Conservation work at the museum took fourteen months. Specialists removed layers of "
        "varnish applied in the 1930s, repaired cracks with oak from a tree felled in the parish, "
        "and found traces of the original red and black paint in the deeper cuts of the carving.",
        "About 600 people, more than twice the population of Øyvik, attended the ceremony, which "
        "included a service in the church and a meal of fish soup in the school gym. The bishop "
        "of the diocese blessed the doors in their new room.",
        "The return is one of a growing number of cases in which Nordic museums have sent "
        "objects back to the communities they came from, although most earlier cases involved "
        "Sámi collections. Berg said the museum was now reviewing the records of about 300 other "
        "church objects it acquired before 1940.",
        "The new display room opens to the public on June 1. Entry will be free, the parish "
        "council said.",
        "For the village, the return closes a long chapter. Solheim's society first wrote to "
        "the museum in 1974, and received a polite reply saying the doors were \"held in trust "
        "for the nation\". \"We kept the letter,\" she said. \"It is in the new room too, on the "
        "wall opposite the doors.\"",
    ),
)

LENZ_APRICOT_FROST = SampleArticle(
    slug="lenz-valley-apricot-frost",
    title="Late frost cuts Lenz valley apricot crop by a third",
    author="Clara Wimmer",
    published="2024-04-16",
    lang="en",
    topic="apricot-frost",
    paragraphs=(
        "LENZBACH — A run of three frosty nights in early April has destroyed about a third of "
        "this year's apricot crop in the Lenz valley, growers said on Tuesday, the worst losses "
        "since 2017 in a region that produces nearly half of the country's apricots.",
        "Temperatures in the orchards fell to minus 4.5 degrees Celsius before dawn on April 8, "
        "the regional farm advisory service said, at a time when most trees were in full blossom "
        "or had just set fruit. Blossoms can survive brief dips to about minus 2 degrees; young "
        "fruit is damaged at around minus 1.",
        "\"You walk through the rows the next morning and it looks fine, everything is still "
        "pink and white,\" said grower Markus Leitner, who farms 11 hectares above the village "
        "of Oberlenz. \"Then you cut a flower open and the centre is brown. That is when you "
        "know.\"",
        "Growers fought the frost through the night with candles, wind machines and sprinklers "
        "that coat the blossoms in ice, which releases heat as it freezes. The advisory service "
        "estimated that orchards with sprinklers lost around 10 percent of their fruit, compared "
        "with up to 70 percent in unprotected plots on the valley floor, where cold air settles.",
        "The valley's growers' cooperative, which markets about 80 percent of the crop, said it "
        "expected a harvest of around 5,200 tonnes, against 7,900 tonnes last year. Its chair, "
        "Theresa Gruber, said prices for fresh apricots would probably rise, but not enough to "
        "make up for the lost volume on most farms. \"A higher price on half a crop is still half "
        "an income,\" she said.",
        "The regional government said it would extend an emergency loan scheme set up after the "
        "2017 frost and cover half the cost of new frost protection equipment bought this year, "
        "up to 30,000 euros per farm. About 420 farms grow apricots in the valley.",
        "Climate researchers say spring frosts are becoming more damaging in central Europe not "
        "because they are more frequent, but because warmer winters make fruit trees blossom "
        "earlier. A study by the national weather service found that apricot trees in the valley "
        "now bloom on average 11 days earlier than in the 1980s.",
        "Some growers are already adapting. Leitner has planted two rows of a late-flowering "
        "variety that blooms about a week after the traditional local apricot. \"It is not as "
        "sweet, and the customers ask for the old one,\" he said. \"But the old one is no use if "
        "there is nothing on the tree.\"",
        "Harvest in the valley usually begins in mid-July. The cooperative said it would not "
        "cancel its annual apricot festival in Lenzbach, which draws about 30,000 visitors, but "
        "might shorten it from three days to two.",
        "Hauliers and packing houses that depend on the harvest are also bracing for a thin "
        "summer. The valley's largest packing station said it would hire about 60 seasonal "
        "workers this year, down from 95, and had asked growers to bring forward deliveries of "
        "what fruit survived so that its sorting lines could run at full speed for at least "
        "part of July.",
    ),
)

XIJIANG_TUNNEL = SampleArticle(
    slug="xijiang-river-tunnel-opens",
    title="西江市首条过江隧道通车 早高峰过江时间缩短近一半",
    author="王晓燕",
    published="2024-03-28",
    lang="zh",
    topic="xijiang-tunnel",
    paragraphs=(
        "3月28日上午8时，西江市首条过江隧道——望江隧道正式通车运营。隧道全长3.6公里，其中江底段长约1.9公里，"
        "双向六车道，设计时速60公里。通车首日早高峰期间，从江北新区到老城区的通行时间由原来的40多分钟缩短到约20分钟。",
        "据西江市交通运输局介绍，望江隧道于2020年10月开工建设，总投资约42亿元。由于江底地质条件复杂，"
        "施工方采用了直径15米的大型盾构机，两台盾构机分别从南北两岸始发，历时22个月才完成掘进。",
        "“以前过江只能走两座老桥，一到上下班时间就堵得水泄不通。”家住江北新区的李女士说，她在老城区一家医院工作，"
        "过去每天都要提前一个小时出门，“今天早上只用了不到二十分钟就到了单位，感觉像做梦一样。”",
        "市交通运输局副局长张建华表示，隧道通车后，预计可分流两座大桥约三成的车流量。为保障通行安全，"
        "隧道内共设置了320个监控摄像头，每隔50米设有一处消防设施，并配备了24小时值守的应急救援队伍。",
        "需要注意的是，隧道禁止危险品运输车辆和摩托车通行，货车仅允许在晚上10时至次日早上6时通行。"
        "交警部门提醒广大驾驶人，隧道内禁止变道和停车，遇到紧急情况应按照指示牌驶入紧急停车带。",
        "不过，也有市民对隧道出口附近的交通组织提出了意见。老城区一侧出口所在的解放路，早高峰期间出现了短时间的排队现象。"
        "对此，交警部门表示，将根据实际车流情况，对周边路口的信号灯配时进行优化调整。",
        "根据规划，西江市还将在未来几年内再建设两条过江通道，其中一条为地铁专用隧道，预计2026年底建成。"
        "届时，两岸之间将形成“四桥三隧”的过江交通格局，市民过江出行将更加便捷。",
    ),
)

YAMABUKI_LINE = SampleArticle(
    slug="yamabuki-line-reopens",
    title="豪雨で不通の山吹線、3年ぶりに全線で運転再開",
    author="中村美咲",
    published="2024-07-15",
    lang="ja",
    topic="yamabuki-line",
    paragraphs=(
        "2021年夏の記録的な豪雨で線路が流され、一部区間で運転を見合わせていた山吹鉄道の山吹線は15日、約3年ぶりに"
        "全線で運転を再開した。始発列車が出発した午前6時すぎ、終点の奥沢駅では地元の住民ら約200人が小旗を振って"
        "列車を出迎えた。",
        "山吹線は全長42.5キロ。2021年7月の豪雨で川沿いの線路が約800メートルにわたって流失したほか、鉄橋2か所が"
        "損傷し、中里駅から奥沢駅までの18.3キロで運転を見合わせていた。復旧工事の費用は約46億円で、国と県、"
        "沿線の3町が負担した。",
        "奥沢駅の近くで食堂を営む山田和子さん（68）は「列車の音が聞こえない3年間は、町が本当に静かになって"
        "しまったようだった。また観光客の方に来てもらえるとうれしい」と話し、目を潤ませた。",
        "不通の間は代行バスが運行されていたが、所要時間が列車より約30分長く、利用者は豪雨前の半分以下に落ち込んで"
        "いた。山吹鉄道によると、2019年度の1日平均利用者数は約1100人だったが、代行バスでは約450人にとどまった。",
        "一方で、鉄道の存続をめぐっては議論もあった。復旧費用が年間の運賃収入の十数年分に当たることから、県の検討会"
        "では一時、バス高速輸送システム（BRT）への転換案も示された。しかし、沿線の高校に通う生徒や通院する高齢者の"
        "足を守るべきだとの声が強く、最終的に鉄道での復旧が決まった。",
        "山吹鉄道の佐藤健一社長は記念式典で「多くの方々の支えで、ここまでたどり着くことができた。再開はゴールでは"
        "なくスタートだ。乗って残していただける鉄道にしていきたい」と述べた。同社は今秋から、沿線の紅葉や温泉を巡る"
        "観光列車の運行も計画している。",
        "再発防止策として、川沿いの区間では線路の盛り土を最大で2メートルかさ上げし、雨量計を6か所に増設した。"
        "一定の雨量を超えた場合には、自動的に運転を見合わせる仕組みも新たに導入したという。",
    ),
)

LEATHERBACK_NEST = SampleArticle(
    slug="leatherback-turtle-nest-phang-nga",
    title="เต่ามะเฟืองขึ้นวางไข่ที่หาดทรายงาม เป็นรังที่ห้าของฤดูกาล",
    author="ปิยะนุช แก้วมณี",
    published="2024-01-13",
    lang="th",
    topic="leatherback-nest",
    paragraphs=(
        "เมื่อเวลาประมาณ 23.30 น. ของคืนวันที่ 12 มกราคม เจ้าหน้าที่ได้รับแจ้งจากชาวบ้านว่าพบเต่ามะเฟืองขนาดใหญ่"
        "ขึ้นมาวางไข่บริเวณหาดทรายงาม จังหวัดพังงา จึงรีบเดินทางไปตรวจสอบและเฝ้าระวังไม่ให้ผู้ใดเข้าไปรบกวนแม่เต่า"
        "ขณะวางไข่",
        "จากการตรวจสอบพบว่าแม่เต่ามีความยาวกระดองประมาณ 1.6 เมตร กว้างประมาณ 1.1 เมตร ใช้เวลาขุดหลุมและวางไข่"
        "นานเกือบสองชั่วโมง ก่อนจะกลบหลุมและคลานกลับลงทะเลในเวลาประมาณ 01.20 น. เจ้าหน้าที่นับไข่ได้ทั้งหมด 98 ฟอง "
        "เป็นไข่ดี 86 ฟอง และไข่ลม 12 ฟอง",
        "นายสมชาย ทองดี เจ้าหน้าที่ศูนย์วิจัยทรัพยากรทางทะเลฝั่งทะเลอันดามัน เปิดเผยว่า รังนี้นับเป็นรังที่ห้าของฤดูกาล"
        "วางไข่ปีนี้ ซึ่งเริ่มตั้งแต่เดือนพฤศจิกายนที่ผ่านมา และเป็นสัญญาณที่ดีว่าชายหาดบริเวณนี้ยังคงมีความอุดมสมบูรณ์"
        "และเหมาะสมต่อการวางไข่ของเต่าทะเล",
        "เจ้าหน้าที่ได้ย้ายไข่ทั้งหมดไปไว้ในหลุมใหม่ที่อยู่ห่างจากแนวน้ำขึ้นสูงสุด เพื่อป้องกันไม่ให้น้ำทะเลท่วมถึง "
        "พร้อมล้อมรั้วไม้ไผ่และติดตั้งกล้องวงจรปิดเฝ้าดูตลอด 24 ชั่วโมง คาดว่าลูกเต่าจะฟักออกจากไข่ภายในเวลา"
        "ประมาณ 55 ถึง 65 วัน",
        "“เราขอความร่วมมือจากนักท่องเที่ยวและชาวบ้านว่า หากพบเห็นเต่าขึ้นมาวางไข่ อย่าส่องไฟหรือเข้าไปใกล้ "
        "เพราะแม่เต่าอาจตกใจและกลับลงทะเลโดยไม่วางไข่ ขอให้โทรแจ้งเจ้าหน้าที่ทันที” นายสมชายกล่าว",
        "ทั้งนี้ เต่ามะเฟืองเป็นเต่าทะเลที่มีขนาดใหญ่ที่สุดในโลก และเป็นสัตว์ป่าสงวนของไทย ในช่วงหลายสิบปีที่ผ่านมา"
        "จำนวนรังที่พบในประเทศไทยลดลงอย่างมาก เนื่องจากการพัฒนาชายฝั่ง ขยะพลาสติกในทะเล และการติดเครื่องมือประมง "
        "ก่อนจะเริ่มกลับมาพบมากขึ้นในช่วงไม่กี่ปีที่ผ่านมา",
        "ด้านนางมาลี ศรีสุข ผู้ใหญ่บ้านในพื้นที่ กล่าวว่า ชาวบ้านได้รวมกลุ่มกันเป็นอาสาสมัครเดินลาดตระเวนชายหาดทุกคืน"
        "ตลอดฤดูวางไข่ และช่วยกันเก็บขยะบนชายหาดเป็นประจำทุกสัปดาห์ เพราะทุกคนรู้สึกภูมิใจที่เต่ามะเฟืองเลือกกลับมา"
        "วางไข่ที่บ้านของเรา",
    ),
)

ARTICLES: tuple[SampleArticle, ...] = (
    HALVERN_STRIKE_BEGINS,
    HALVERN_STRIKE_CARGO,
    HALVERN_STRIKE_ENDS,
    OSTRA_FLOOD_EVACUATION,
    OSTRA_FLOOD_CLEANUP,
    OSTRA_FLOOD_DEFENCES,
    ORANGE_FROG,
    VALDERA_MARATHON,
    TORVANE_PLANT,
    AARVIK_TRAM,
    OYVIK_DOORS,
    LENZ_APRICOT_FROST,
    XIJIANG_TUNNEL,
    YAMABUKI_LINE,
    LEATHERBACK_NEST,
)
