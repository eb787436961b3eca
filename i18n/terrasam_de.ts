<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
<context>
    <name>ClassifyLandCoverAlgorithm</name>
    <message>
        <location filename="../terrasam_processing/landcover.py" line="58"/>
        <source>Classify land cover</source>
        <translation>Landbedeckung klassifizieren</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/landcover.py" line="81"/>
        <source>Classifier head (.pt)</source>
        <translation>Klassifikatorkopf (.pt)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/landcover.py" line="81"/>
        <source>Classifier heads (*.pt);;All files (*)</source>
        <translation>Klassifikatorköpfe (*.pt);;Alle Dateien (*)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/landcover.py" line="88"/>
        <source>Cell size in metres (0: the head&apos;s)</source>
        <translation>Zellgröße in Metern (0: die des Kopfes)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/landcover.py" line="97"/>
        <source>Dissolve cells by class</source>
        <translation>Zellen nach Klasse auflösen</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/landcover.py" line="100"/>
        <source>Contrast stretch</source>
        <translation>Kontraststreckung</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/landcover.py" line="125"/>
        <source>Land cover</source>
        <translation>Landbedeckung</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/landcover.py" line="130"/>
        <source>Area per class</source>
        <translation>Fläche je Klasse</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/landcover.py" line="135"/>
        <source>Classified area (ha)</source>
        <translation>Klassifizierte Fläche (ha)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/landcover.py" line="140"/>
        <source>Choose a classifier head file (.pt).</source>
        <translation>Wählen Sie eine Klassifikatorkopf-Datei (.pt).</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/landcover.py" line="61"/>
        <source>&lt;p&gt;Classifies the raster (or the extent) into a grid of square cells with a classifier head trained by &lt;i&gt;Train land-cover classifier&lt;/i&gt; (or python -m sam_core train-classifier) on the same SAM checkpoint.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Cell size&lt;/b&gt;: 0 takes the head's patch size at the head's pixel size (640 m for EuroSAT). Cells are anchored to the raster's origin and clipped to the extent, so they tile it without gaps. A raster whose pixel size differs from the head's by more than 5 % is resampled to it; one more than twice as coarse as the head's is refused (upsampling adds no detail): raise &lt;i&gt;Upsample … by at most&lt;/i&gt; in the advanced settings to insist. Cells that are mostly nodata are skipped.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Dissolve&lt;/b&gt;: one polygon per class instead of one per cell.&lt;/p&gt;&lt;p&gt;Outputs: the cells (id, class, class_id, probability, area_m2, colour) or the dissolved classes (class, class_id, cells, area_m2, area_ha, percent, probability, colour), in the raster's CRS with geodesic areas; and a table of the area of every class of the head (cells, m², ha, % of the classified area, mean probability).&lt;/p&gt;</source>
        <translation>&lt;p&gt;Klassifiziert das Raster (oder die Ausdehnung) in ein Gitter quadratischer Zellen, mit einem Klassifikatorkopf, der mit &lt;i&gt;Landbedeckungs-Klassifikator trainieren&lt;/i&gt; (oder python -m sam_core train-classifier) auf demselben SAM-Checkpoint trainiert wurde.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Zellgröße&lt;/b&gt;: 0 übernimmt die Patchgröße des Kopfes bei seiner Pixelgröße (640 m für EuroSAT). Die Zellen sind am Ursprung des Rasters verankert und an der Ausdehnung abgeschnitten, sodass sie sie lückenlos überdecken. Ein Raster, dessen Pixelgröße um mehr als 5 % von der des Kopfes abweicht, wird auf diese umgerechnet; eines, das mehr als doppelt so grob ist wie der Kopf, wird abgelehnt (Hochrechnen fügt keine Details hinzu): erhöhen Sie &lt;i&gt;… höchstens um diesen Faktor hochrechnen&lt;/i&gt; in den erweiterten Einstellungen, um es dennoch zu klassifizieren. Zellen, die überwiegend NoData sind, werden übersprungen.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Auflösen&lt;/b&gt;: ein Polygon je Klasse statt einem je Zelle.&lt;/p&gt;&lt;p&gt;Ausgaben: die Zellen (id, class, class_id, probability, area_m2, colour) oder die aufgelösten Klassen (class, class_id, cells, area_m2, area_ha, percent, probability, colour) im KBS des Rasters mit geodätischen Flächen; dazu eine Tabelle der Fläche jeder Klasse des Kopfes (Zellen, m², ha, % der klassifizierten Fläche, mittlere Wahrscheinlichkeit).&lt;/p&gt;</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/landcover.py" line="110"/>
        <source>Upsample a raster coarser than the head&apos;s pixels by at most (factor)</source>
        <translation>Ein Raster, gröber als die Pixel des Kopfes, höchstens um diesen Faktor hochrechnen</translation>
    </message>
</context>
<context>
    <name>ControllerBase</name>
    <message>
        <location filename="../ui/controller_base.py" line="67"/>
        <source>TerraSAM</source>
        <translation>TerraSAM</translation>
    </message>
    <message>
        <location filename="../ui/controller_base.py" line="71"/>
        <source>Choose a SAM checkpoint first (Model → Checkpoint).</source>
        <translation>Wählen Sie zuerst einen SAM-Checkpoint (Modell → Checkpoint).</translation>
    </message>
    <message>
        <location filename="../ui/controller_base.py" line="73"/>
        <source>Choose a raster layer first.</source>
        <translation>Wählen Sie zuerst einen Rasterlayer.</translation>
    </message>
</context>
<context>
    <name>DetectObjectsAlgorithm</name>
    <message>
        <location filename="../terrasam_processing/finetune.py" line="176"/>
        <source>Detect objects (fine-tuned SAM)</source>
        <translation>Objekte erkennen (feinabgestimmtes SAM)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/finetune.py" line="179"/>
        <source>&lt;p&gt;Finds every object of the kind a fine-tuned checkpoint (from &lt;i&gt;Fine-tune SAM decoder&lt;/i&gt;) was trained on, with no prompt: the raster is cut into overlapping patches at the scale the decoder learned, each patch is prompted whole, the probabilities are blended (no seams) and thresholded at the checkpoint&apos;s threshold.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Size&lt;/b&gt;: 0 keeps the learned scale; a size S treats the extent as one image resized to S, as the recipe does for whole images.&lt;/p&gt;&lt;p&gt;Output: one polygon per object with its mean probability and geodesic area and perimeter, in the raster&apos;s CRS.&lt;/p&gt;</source>
        <translation>&lt;p&gt;Findet ohne Eingabeaufforderung jedes Objekt der Art, auf die ein feinabgestimmter Checkpoint (aus &lt;i&gt;SAM-Decoder feinabstimmen&lt;/i&gt;) trainiert wurde: Das Raster wird im gelernten Maßstab des Decoders in überlappende Ausschnitte zerlegt, jeder Ausschnitt als Ganzes abgefragt, die Wahrscheinlichkeiten werden überblendet (ohne Nähte) und mit dem Schwellenwert des Checkpoints geschnitten.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Größe&lt;/b&gt;: 0 behält den gelernten Maßstab; eine Größe S behandelt die Ausdehnung als ein Bild, das auf S skaliert wird, wie es das Rezept für ganze Bilder tut.&lt;/p&gt;&lt;p&gt;Ausgabe: ein Polygon je Objekt mit mittlerer Wahrscheinlichkeit sowie geodätischer Fläche und Umfang, im KBS des Rasters.&lt;/p&gt;</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/finetune.py" line="194"/>
        <source>Size (0: the learned scale)</source>
        <translation>Größe (0: der gelernte Maßstab)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/finetune.py" line="204"/>
        <source>Objects</source>
        <translation>Objekte</translation>
    </message>
</context>
<context>
    <name>EncodeRasterAlgorithm</name>
    <message>
        <location filename="../terrasam_processing/segmentation.py" line="63"/>
        <source>Encode raster</source>
        <translation>Raster kodieren</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/segmentation.py" line="82"/>
        <source>Embedding cache folder (default: the TerraSAM dock&apos;s cache)</source>
        <translation>Embedding-Cache-Ordner (Standard: der Cache des TerraSAM-Docks)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/segmentation.py" line="90"/>
        <source>Embedding cache folder</source>
        <translation>Embedding-Cache-Ordner</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/segmentation.py" line="91"/>
        <source>Tiles covered</source>
        <translation>Abgedeckte Kacheln</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/segmentation.py" line="92"/>
        <source>Tiles encoded in this run</source>
        <translation>In diesem Lauf kodierte Kacheln</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/segmentation.py" line="66"/>
        <source>&lt;p&gt;Runs SAM&apos;s image encoder over every tile of the raster (or of the extent) and keeps the embeddings in a cache folder, so that later prompts on these tiles, in the TerraSAM dock or in the other algorithms, skip the slow part (seconds to a minute per 1024 px tile on a CPU).&lt;/p&gt;&lt;p&gt;&lt;b&gt;Cache folder&lt;/b&gt;: leave it empty to fill the dock&apos;s own cache (in your QGIS profile). Tiles already in the cache are not encoded again. The dock uses the model&apos;s tiles (a fine-tuned model&apos;s learned scale, else 1024 pixels) with its default overlap and the raster&apos;s default bands: keep tile size 0, overlap 256 and automatic bands to prepare tiles for it.&lt;/p&gt;&lt;p&gt;The result is the cache folder and the number of tiles encoded. Cancelling keeps the tiles finished so far (each is written whole or not at all).&lt;/p&gt;</source>
        <translation>&lt;p&gt;Lässt den Bild-Encoder von SAM über jede Kachel des Rasters (oder der Ausdehnung) laufen und legt die Embeddings in einem Cache-Ordner ab, damit spätere Prompts auf diesen Kacheln, im TerraSAM-Dock oder in den anderen Algorithmen, den langsamen Teil überspringen (Sekunden bis eine Minute je 1024-px-Kachel auf einer CPU).&lt;/p&gt;&lt;p&gt;&lt;b&gt;Cache-Ordner&lt;/b&gt;: leer lassen, um den eigenen Cache des Docks (in Ihrem QGIS-Profil) zu füllen. Kacheln, die schon im Cache sind, werden nicht erneut kodiert. Das Dock verwendet die Kacheln des Modells (bei einem feinabgestimmten Modell dessen gelernten Maßstab, sonst 1024 Pixel) mit seiner Standardüberlappung und die Standardkanäle des Rasters: Behalten Sie Kachelgröße 0, Überlappung 256 und automatische Kanäle bei, um Kacheln dafür vorzubereiten.&lt;/p&gt;&lt;p&gt;Das Ergebnis sind der Cache-Ordner und die Zahl der kodierten Kacheln. Ein Abbruch behält die bis dahin fertigen Kacheln (jede wird ganz oder gar nicht geschrieben).&lt;/p&gt;</translation>
    </message>
</context>
<context>
    <name>EngineCheck</name>
    <message>
        <location filename="../host/dependencies.py" line="129"/>
        <source>it is a folder or not executable</source>
        <translation>es ist ein Ordner oder nicht ausführbar</translation>
    </message>
    <message>
        <location filename="../host/dependencies.py" line="141"/>
        <source>it did not answer within a minute</source>
        <translation>es hat innerhalb einer Minute nicht geantwortet</translation>
    </message>
    <message>
        <location filename="../host/dependencies.py" line="150"/>
        <source>exit code {code}</source>
        <translation>Exit-Code {code}</translation>
    </message>
    <message>
        <location filename="../host/dependencies.py" line="194"/>
        <source>the TerraSAM setting “Engine Python” (Set up engine → Choose Python…)</source>
        <translation>der TerraSAM-Einstellung „Engine-Python“ (Engine einrichten → Python wählen…)</translation>
    </message>
    <message>
        <location filename="../host/dependencies.py" line="195"/>
        <source>the environment variable TERRASAM_PYTHON</source>
        <translation>der Umgebungsvariablen TERRASAM_PYTHON</translation>
    </message>
    <message>
        <location filename="../host/dependencies.py" line="196"/>
        <source>the .venv folder inside the plugin folder</source>
        <translation>dem .venv-Ordner im Plugin-Ordner</translation>
    </message>
    <message>
        <location filename="../host/dependencies.py" line="197"/>
        <source>the engine that Set up engine installed in the QGIS profile</source>
        <translation>der Engine, die „Engine einrichten“ im QGIS-Profil installiert hat</translation>
    </message>
    <message>
        <location filename="../host/dependencies.py" line="198"/>
        <source>the Python of QGIS (no engine Python is chosen or installed yet)</source>
        <translation>dem Python von QGIS (noch ist kein Engine-Python gewählt oder installiert)</translation>
    </message>
    <message>
        <location filename="../host/dependencies.py" line="206"/>
        <source>The engine Python {python} (from {source}) does not exist.</source>
        <translation>Das Engine-Python {python} (aus {source}) existiert nicht.</translation>
    </message>
    <message>
        <location filename="../host/dependencies.py" line="208"/>
        <source>The engine Python {python} (from {source}) cannot run: {detail}.</source>
        <translation>Das Engine-Python {python} (aus {source}) lässt sich nicht ausführen: {detail}.</translation>
    </message>
    <message>
        <location filename="../host/dependencies.py" line="211"/>
        <source>The engine Python {python} (from {source}) lacks these packages: {packages}.</source>
        <translation>Dem Engine-Python {python} (aus {source}) fehlen diese Pakete: {packages}.</translation>
    </message>
    <message>
        <location filename="../host/dependencies.py" line="221"/>
        <source>Segmentation is disabled until the engine is set up.</source>
        <translation>Die Segmentierung ist deaktiviert, bis die Engine eingerichtet ist.</translation>
    </message>
    <message>
        <location filename="../host/dependencies.py" line="223"/>
        <source>Correct or unset TERRASAM_PYTHON; a Python chosen in the Set up engine panel takes precedence over it.</source>
        <translation>Korrigieren oder entfernen Sie TERRASAM_PYTHON; ein im Bereich „Engine einrichten“ gewähltes Python hat Vorrang davor.</translation>
    </message>
    <message>
        <location filename="../host/dependencies.py" line="228"/>
        <source>Open the TerraSAM dock (Raster → TerraSAM): its Set up engine panel installs the engine into the QGIS profile (Install) or uses a Python you already have (Choose Python…).</source>
        <translation>Öffnen Sie das TerraSAM-Dock (Raster → TerraSAM): Sein Bereich „Engine einrichten“ installiert die Engine ins QGIS-Profil (Installieren) oder verwendet ein vorhandenes Python (Python wählen…).</translation>
    </message>
</context>
<context>
    <name>EngineRunner</name>
    <message>
        <location filename="../terrasam_processing/runner.py" line="88"/>
        <source>Cannot start the TerraSAM engine with {python}: {error}</source>
        <translation>Die TerraSAM-Engine kann mit {python} nicht gestartet werden: {error}</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/runner.py" line="125"/>
        <source>Cancelled: nothing was written.</source>
        <translation>Abgebrochen: Es wurde nichts geschrieben.</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/runner.py" line="167"/>
        <source>The TerraSAM engine stopped unexpectedly (exit code {code}). Its last messages: {tail}</source>
        <translation>Die TerraSAM-Engine wurde unerwartet beendet (Exit-Code {code}). Ihre letzten Meldungen: {tail}</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/runner.py" line="153"/>
        <source>Tile {tile} of {tiles}, about {time} left</source>
        <translation>Kachel {tile} von {tiles}, noch etwa {time}</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/runner.py" line="153"/>
        <source>Tile {tile} of {tiles}</source>
        <translation>Kachel {tile} von {tiles}</translation>
    </message>
</context>
<context>
    <name>EngineSetupPanel</name>
    <message>
        <location filename="../ui/engine_setup.py" line="64"/>
        <source>Installing the TerraSAM engine</source>
        <translation>Die TerraSAM-Engine wird installiert</translation>
    </message>
    <message>
        <location filename="../ui/engine_setup.py" line="98"/>
        <source>Set up engine</source>
        <translation>Engine einrichten</translation>
    </message>
    <message>
        <location filename="../ui/engine_setup.py" line="109"/>
        <source>CPU-only PyTorch (a smaller download)</source>
        <translation>PyTorch nur für die CPU (kleinerer Download)</translation>
    </message>
    <message>
        <location filename="../ui/engine_setup.py" line="110"/>
        <source>Installs PyTorch without the CUDA libraries from the index or wheel folder below, then checks that it imports; where it does not, the default build is installed instead.</source>
        <translation>Installiert PyTorch ohne die CUDA-Bibliotheken aus dem Index oder Wheel-Ordner unten und prüft dann, ob es sich importieren lässt; wenn nicht, wird stattdessen die Standardversion installiert.</translation>
    </message>
    <message>
        <location filename="../ui/engine_setup.py" line="123"/>
        <source>CPU-only from</source>
        <translation>Nur-CPU-Version aus</translation>
    </message>
    <message>
        <location filename="../ui/engine_setup.py" line="127"/>
        <source>Offline: a folder of wheels made with make wheelhouse; nothing is downloaded then</source>
        <translation>Offline: ein Ordner mit Wheels, erstellt mit make wheelhouse; dann wird nichts heruntergeladen</translation>
    </message>
    <message>
        <location filename="../ui/engine_setup.py" line="130"/>
        <source>Wheel folder</source>
        <translation>Wheel-Ordner</translation>
    </message>
    <message>
        <location filename="../ui/engine_setup.py" line="133"/>
        <source>Install</source>
        <translation>Installieren</translation>
    </message>
    <message>
        <location filename="../ui/engine_setup.py" line="134"/>
        <source>Choose Python…</source>
        <translation>Python wählen…</translation>
    </message>
    <message>
        <location filename="../ui/engine_setup.py" line="135"/>
        <source>Check again</source>
        <translation>Erneut prüfen</translation>
    </message>
    <message>
        <location filename="../ui/engine_setup.py" line="142"/>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <location filename="../ui/engine_setup.py" line="174"/>
        <source>The engine is set up.</source>
        <translation>Die Engine ist eingerichtet.</translation>
    </message>
    <message>
        <location filename="../ui/engine_setup.py" line="177"/>
        <source>Engine Python now: {python}, from {source}.</source>
        <translation>Engine-Python derzeit: {python}, aus {source}.</translation>
    </message>
    <message>
        <location filename="../ui/engine_setup.py" line="182"/>
        <source>Install makes a Python environment for the engine in {folder}, from {python}, with the packages pinned in {requirements}. The download is {size} (PyTorch with its CUDA libraries); the installed engine takes about {disk} on disk.</source>
        <translation>„Installieren“ legt für die Engine eine Python-Umgebung in {folder} an, aus {python}, mit den in {requirements} festgelegten Paketen. Der Download umfasst {size} (PyTorch mit seinen CUDA-Bibliotheken); die installierte Engine belegt etwa {disk} auf der Festplatte.</translation>
    </message>
    <message>
        <location filename="../ui/engine_setup.py" line="202"/>
        <source>Engine Python set to {path} (TerraSAM settings)</source>
        <translation>Engine-Python auf {path} gesetzt (TerraSAM-Einstellungen)</translation>
    </message>
    <message>
        <location filename="../ui/engine_setup.py" line="207"/>
        <source>Choose the engine&apos;s Python</source>
        <translation>Python für die Engine wählen</translation>
    </message>
    <message>
        <location filename="../ui/engine_setup.py" line="261"/>
        <source>Install cancelled; the previous engine is unchanged.</source>
        <translation>Installation abgebrochen; die bisherige Engine ist unverändert.</translation>
    </message>
    <message>
        <location filename="../ui/engine_setup.py" line="261"/>
        <source>Install failed: {error}</source>
        <translation>Installation fehlgeschlagen: {error}</translation>
    </message>
    <message>
        <location filename="../ui/engine_setup.py" line="270"/>
        <source>The engine is installed in {folder}.</source>
        <translation>Die Engine ist in {folder} installiert.</translation>
    </message>
    <message>
        <location filename="../ui/engine_setup.py" line="297"/>
        <source>It computes on the GPU: {name} (CUDA).</source>
        <translation>Sie rechnet auf der GPU: {name} (CUDA).</translation>
    </message>
    <message>
        <location filename="../ui/engine_setup.py" line="299"/>
        <source>It computes on the Apple GPU (MPS).</source>
        <translation>Sie rechnet auf der Apple-GPU (MPS).</translation>
    </message>
    <message>
        <location filename="../ui/engine_setup.py" line="301"/>
        <source>It computes on the CPU: PyTorch is built with CUDA {cuda}, but no NVIDIA GPU or driver was found.</source>
        <translation>Sie rechnet auf der CPU: PyTorch ist mit CUDA {cuda} gebaut, aber es wurde keine NVIDIA-GPU und kein Treiber gefunden.</translation>
    </message>
    <message>
        <location filename="../ui/engine_setup.py" line="305"/>
        <source>It computes on the CPU: this PyTorch is a CPU-only build.</source>
        <translation>Sie rechnet auf der CPU: Dieses PyTorch ist eine reine CPU-Version.</translation>
    </message>
    <message>
        <location filename="../ui/engine_setup.py" line="306"/>
        <source>It computes on the CPU ({reason}).</source>
        <translation>Sie rechnet auf der CPU ({reason}).</translation>
    </message>
</context>
<context>
    <name>EngineTask</name>
    <message>
        <location filename="../ui/tasks.py" line="66"/>
        <source>tile {tile} of {tiles}</source>
        <translation>Kachel {tile} von {tiles}</translation>
    </message>
    <message>
        <location filename="../ui/tasks.py" line="68"/>
        <source>tile {tile} of {tiles}, about {time} left</source>
        <translation>Kachel {tile} von {tiles}, noch etwa {time}</translation>
    </message>
</context>
<context>
    <name>EvaluateSegmentationAlgorithm</name>
    <message>
        <location filename="../terrasam_processing/evaluation.py" line="44"/>
        <source>Evaluate segmentation</source>
        <translation>Segmentierung bewerten</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/evaluation.py" line="47"/>
        <source>Evaluation</source>
        <translation>Bewertung</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/evaluation.py" line="74"/>
        <source>Predictions (polygon layers or mask rasters)</source>
        <translation>Vorhersagen (Polygonlayer oder Maskenraster)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/evaluation.py" line="74"/>
        <source>References, in the same order</source>
        <translation>Referenzen, in derselben Reihenfolge</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/evaluation.py" line="81"/>
        <source>Comparison rasters (one, one per pair, or none)</source>
        <translation>Vergleichsraster (eines, eines je Paar oder keines)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/evaluation.py" line="89"/>
        <source>Count nodata pixels too</source>
        <translation>NoData-Pixel mitzählen</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/evaluation.py" line="94"/>
        <source>Connectivity of a mask&apos;s objects</source>
        <translation>Nachbarschaft der Objekte einer Maske</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/evaluation.py" line="104"/>
        <source>IoU threshold of a hit</source>
        <translation>IoU-Schwellenwert für einen Treffer</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/evaluation.py" line="116"/>
        <source>Metrics</source>
        <translation>Metriken</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/evaluation.py" line="119"/>
        <source>Report</source>
        <translation>Bericht</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/evaluation.py" line="119"/>
        <source>JSON files (*.json)</source>
        <translation>JSON-Dateien (*.json)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/evaluation.py" line="131"/>
        <source>Give as many references as predictions ({predictions} and {references}).</source>
        <translation>Geben Sie so viele Referenzen wie Vorhersagen an ({predictions} und {references}).</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/evaluation.py" line="53"/>
        <source>&lt;p&gt;Compares predicted segmentations with reference ones, image by image. Each prediction and reference is a polygon layer or a mask raster (band 1, non-zero = object); they are paired in the order given. Both are rasterised on the grid of the comparison raster (a pixel is in a polygon when its centre is): give one raster for all pairs, one per pair, or none when a reference (else a prediction) is a mask raster. With a comparison raster, its nodata pixels are left out unless you include them.&lt;/p&gt;&lt;p&gt;Metrics per image and overall (from the summed pixel counts): IoU = TP/(TP+FP+FN), Dice = 2TP/(2TP+FP+FN), pixel accuracy = (TP+TN)/all, precision = TP/(TP+FP), recall = TPR = TP/(TP+FN) and FPR = FP/(FP+TN), the standard false positive rate: the share of the reference&apos;s background pixels marked as object (some write-ups print FP/(FP+FN), which is not a rate over any set of pixels). Overall accuracy is the share of images whose IoU is above the threshold (0.5); the object hit rate is the share of reference objects (features, or connected regions of a mask) matched by one predicted object with IoU above it. A metric whose denominator is 0 takes its best value (two empty masks have IoU 1).&lt;/p&gt;&lt;p&gt;Outputs: a table with one row per image and a last row &apos;overall&apos;, and the full result as a JSON file.&lt;/p&gt;</source>
        <translation>&lt;p&gt;Vergleicht vorhergesagte Segmentierungen Bild für Bild mit Referenzen. Jede Vorhersage und jede Referenz ist ein Polygonlayer oder ein Maskenraster (Kanal 1, ungleich null = Objekt); sie werden in der angegebenen Reihenfolge gepaart. Beide werden auf dem Gitter des Vergleichsrasters gerastert (ein Pixel liegt in einem Polygon, wenn sein Mittelpunkt darin liegt): Geben Sie ein Raster für alle Paare, eines je Paar oder keines, wenn eine Referenz (sonst eine Vorhersage) ein Maskenraster ist. Mit einem Vergleichsraster bleiben seine NoData-Pixel außen vor, sofern Sie sie nicht einschließen.&lt;/p&gt;&lt;p&gt;Metriken je Bild und insgesamt (aus den summierten Pixelzahlen): IoU = TP/(TP+FP+FN), Dice = 2TP/(2TP+FP+FN), Pixelgenauigkeit = (TP+TN)/alle, Präzision = TP/(TP+FP), Recall = TPR = TP/(TP+FN) und FPR = FP/(FP+TN), die übliche Falsch-Positiv-Rate: der Anteil der Hintergrundpixel der Referenz, die als Objekt markiert sind (manche Veröffentlichungen geben FP/(FP+FN) an, was keine Rate über eine Pixelmenge ist). Die Gesamtgenauigkeit ist der Anteil der Bilder, deren IoU über dem Schwellenwert (0,5) liegt; die Objekt-Trefferquote ist der Anteil der Referenzobjekte (Features oder zusammenhängende Bereiche einer Maske), die von einem vorhergesagten Objekt mit einer IoU darüber getroffen werden. Eine Metrik, deren Nenner 0 ist, erhält ihren besten Wert (zwei leere Masken haben IoU 1).&lt;/p&gt;&lt;p&gt;Ausgaben: eine Tabelle mit einer Zeile je Bild und einer letzten Zeile 'overall' sowie das vollständige Ergebnis als JSON-Datei.&lt;/p&gt;</translation>
    </message>
</context>
<context>
    <name>FinetuneDecoderAlgorithm</name>
    <message>
        <location filename="../terrasam_processing/finetune.py" line="61"/>
        <source>Fine-tune SAM decoder</source>
        <translation>SAM-Decoder feinabstimmen</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/finetune.py" line="64"/>
        <source>&lt;p&gt;Adapts SAM to your imagery: trains SAM&apos;s mask decoder on your labelled objects while the image and prompt encoders stay frozen (the SAM fine-tuning recipe of the README&apos;s References).&lt;/p&gt;&lt;p&gt;&lt;b&gt;Labelled objects&lt;/b&gt;: a polygon layer over the raster, in any CRS. &lt;b&gt;Split field&lt;/b&gt;: values train, val and test; without it the raster is split by area with the seed, so neighbouring objects do not leak between training and test. &lt;b&gt;Complete-labelling region&lt;/b&gt;: where every object is labelled; outside it, unlabelled pixels are not taken as background.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Sizes&lt;/b&gt;: images (square chips of the raster) are resized to each size, e.g. 512,1024,2048, and cut into 256 px patches; one decoder is trained per size and the best on validation is saved. &lt;b&gt;Prompts&lt;/b&gt;: box (each object&apos;s box), point (one interior point) or patch (the whole patch; what Detect objects uses). Learning rate 1e-5 is the recipe&apos;s for official checkpoints.&lt;/p&gt;&lt;p&gt;Outputs: the tuned checkpoint (a plain SAM .pth that other SAM tools load) with a .pth.json beside it (threshold, prompt, scale, test figures), and a report folder: summary.json with accuracy (share of test images with IoU above 0.5), mean IoU and time per image for each size and for the base model, curves.png, threshold.png and examples.png. Encoder embeddings are computed once.&lt;/p&gt;</source>
        <translation>&lt;p&gt;Passt SAM an Ihre Bilder an: trainiert den Maskendecoder von SAM auf Ihren beschrifteten Objekten, während Bild- und Prompt-Encoder eingefroren bleiben (das SAM-Feinabstimmungsrezept aus den Referenzen der README).&lt;/p&gt;&lt;p&gt;&lt;b&gt;Beschriftete Objekte&lt;/b&gt;: ein Polygonlayer über dem Raster, in beliebigem KBS. &lt;b&gt;Aufteilungsfeld&lt;/b&gt;: Werte train, val und test; ohne es wird das Raster mit dem Startwert flächenweise aufgeteilt, damit benachbarte Objekte nicht zwischen Training und Test durchsickern. &lt;b&gt;Region vollständiger Beschriftung&lt;/b&gt;: wo jedes Objekt beschriftet ist; außerhalb gelten unbeschriftete Pixel nicht als Hintergrund.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Größen&lt;/b&gt;: Bilder (quadratische Ausschnitte des Rasters) werden auf jede Größe skaliert, z. B. 512,1024,2048, und in Ausschnitte von 256 px zerlegt; je Größe wird ein Decoder trainiert und der auf der Validierung beste gespeichert. &lt;b&gt;Prompts&lt;/b&gt;: box (das Rechteck jedes Objekts), point (ein innerer Punkt) oder patch (der ganze Ausschnitt; was Objekte erkennen nutzt). Die Lernrate 1e-5 ist die des Rezepts für offizielle Checkpoints.&lt;/p&gt;&lt;p&gt;Ausgaben: der feinabgestimmte Checkpoint (eine normale SAM-.pth, die andere SAM-Werkzeuge laden) mit einer .pth.json daneben (Schwellenwert, Prompt, Maßstab, Testwerte), und ein Berichtsordner: summary.json mit Genauigkeit (Anteil der Testbilder mit IoU über 0,5), mittlerem IoU und Zeit je Bild für jede Größe und für das Basismodell, curves.png, threshold.png und examples.png. Encoder-Einbettungen werden einmal berechnet.&lt;/p&gt;</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/finetune.py" line="83"/>
        <source>Labelled objects</source>
        <translation>Beschriftete Objekte</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/finetune.py" line="88"/>
        <source>Split field (train, val, test)</source>
        <translation>Aufteilungsfeld (train, val, test)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/finetune.py" line="94"/>
        <source>Complete-labelling region</source>
        <translation>Region vollständiger Beschriftung</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/finetune.py" line="100"/>
        <source>Sizes (e.g. 512,1024,2048)</source>
        <translation>Größen (z. B. 512,1024,2048)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/finetune.py" line="101"/>
        <source>Prompts</source>
        <translation>Prompts</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/finetune.py" line="102"/>
        <source>Epochs</source>
        <translation>Epochen</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/finetune.py" line="107"/>
        <source>Learning rate</source>
        <translation>Lernrate</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/finetune.py" line="115"/>
        <source>Batch size</source>
        <translation>Batchgröße</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/finetune.py" line="116"/>
        <source>Random seed</source>
        <translation>Zufalls-Seed</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/finetune.py" line="117"/>
        <source>Image side cut from the raster (pixels)</source>
        <translation>Seitenlänge der aus dem Raster geschnittenen Bilder (Pixel)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/finetune.py" line="119"/>
        <source>Embedding cache folder (default: ~/.cache/terrasam/finetune)</source>
        <translation>Ordner für den Einbettungs-Cache (Standard: ~/.cache/terrasam/finetune)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/finetune.py" line="121"/>
        <source>Fine-tuned checkpoint</source>
        <translation>Feinabgestimmter Checkpoint</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/finetune.py" line="121"/>
        <source>SAM checkpoints (*.pth)</source>
        <translation>SAM-Checkpoints (*.pth)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/finetune.py" line="126"/>
        <source>Report folder</source>
        <translation>Berichtsordner</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/finetune.py" line="129"/>
        <source>Test accuracy of the saved decoder</source>
        <translation>Testgenauigkeit des gespeicherten Decoders</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/finetune.py" line="130"/>
        <source>Test accuracy of the base model</source>
        <translation>Testgenauigkeit des Basismodells</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/finetune.py" line="131"/>
        <source>Probability threshold</source>
        <translation>Wahrscheinlichkeitsschwelle</translation>
    </message>
</context>
<context>
    <name>LabelObjectsAlgorithm</name>
    <message>
        <location filename="../terrasam_processing/semantic_label.py" line="38"/>
        <source>Label objects with a class</source>
        <translation>Objekte mit einer Klasse beschriften</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_label.py" line="41"/>
        <source>&lt;p&gt;Gives every polygon of a layer a class from the raster under it: e.g. the objects of &lt;i&gt;Segment from prompt layers&lt;/i&gt;, &lt;i&gt;Segment everything&lt;/i&gt; or &lt;i&gt;Detect objects&lt;/i&gt;, or any polygon layer, in any CRS. The head must have been trained on the same SAM checkpoint.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Head&lt;/b&gt;: a segmentation head (&lt;i&gt;Train segmentation head&lt;/i&gt;): the object&apos;s class is the majority class of its pixels, on the same blended tiles as &lt;i&gt;Map classes&lt;/i&gt; (so it agrees with the class map), and its probability is that class&apos;s mean probability over them; or a land-cover classifier head (&lt;i&gt;Train land-cover classifier&lt;/i&gt;): the encoder cells under the object are pooled, weighted by the object&apos;s area in each. &lt;b&gt;Overlap&lt;/b&gt; (segmentation heads): below 1 a share of the tile, else pixels.&lt;/p&gt;&lt;p&gt;Output: the objects with all their fields (a field named like a new one is renamed src_&amp;lt;name&amp;gt;) and class, class_probability, runner_up (the next class) and runner_up_probability, in the raster&apos;s CRS. Objects that do not overlap the raster are left out with a warning. A cancelled run writes nothing.&lt;/p&gt;</source>
        <translation>&lt;p&gt;Gibt jedem Polygon eines Layers eine Klasse aus dem Raster darunter: z. B. den Objekten von &lt;i&gt;Aus Prompt-Layern segmentieren&lt;/i&gt;, &lt;i&gt;Alles segmentieren&lt;/i&gt; oder &lt;i&gt;Objekte erkennen&lt;/i&gt; oder jedem anderen Polygonlayer, in beliebigem KBS. Der Kopf muss auf demselben SAM-Checkpoint trainiert worden sein.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Kopf&lt;/b&gt;: ein Segmentierungskopf (&lt;i&gt;Segmentierungskopf trainieren&lt;/i&gt;): die Klasse des Objekts ist die Mehrheitsklasse seiner Pixel, auf denselben überblendeten Kacheln wie bei &lt;i&gt;Klassen kartieren&lt;/i&gt; (sie stimmt also mit der Klassenkarte überein), und ihre Wahrscheinlichkeit ist die mittlere Wahrscheinlichkeit dieser Klasse über diese Pixel; oder ein Landbedeckungs-Klassifikatorkopf (&lt;i&gt;Landbedeckungs-Klassifikator trainieren&lt;/i&gt;): die Encoder-Zellen unter dem Objekt werden zusammengefasst, gewichtet nach der Fläche des Objekts in jeder. &lt;b&gt;Überlappung&lt;/b&gt; (Segmentierungsköpfe): unter 1 ein Anteil der Kachel, sonst Pixel.&lt;/p&gt;&lt;p&gt;Ausgabe: die Objekte mit all ihren Feldern (ein Feld, das wie ein neues heißt, wird in src_&amp;lt;name&amp;gt; umbenannt) sowie class, class_probability, runner_up (die nächste Klasse) und runner_up_probability, im KBS des Rasters. Objekte, die das Raster nicht überlappen, werden mit einer Warnung ausgelassen. Ein abgebrochener Lauf schreibt nichts.&lt;/p&gt;</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_label.py" line="59"/>
        <source>Objects (polygons, any CRS)</source>
        <translation>Objekte (Polygone, beliebiges KBS)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_label.py" line="65"/>
        <source>Head (.pt): a segmentation head or a land-cover classifier head</source>
        <translation>Kopf (.pt): ein Segmentierungskopf oder ein Landbedeckungs-Klassifikatorkopf</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_label.py" line="65"/>
        <source>Heads (*.pt);;All files (*)</source>
        <translation>Köpfe (*.pt);;Alle Dateien (*)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_label.py" line="71"/>
        <source>Tile overlap (below 1: share of the tile, else pixels)</source>
        <translation>Kachelüberlappung (unter 1: Anteil der Kachel, sonst Pixel)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_label.py" line="82"/>
        <source>Labelled objects</source>
        <translation>Beschriftete Objekte</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_label.py" line="87"/>
        <source>Number of labelled objects</source>
        <translation>Anzahl der beschrifteten Objekte</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_label.py" line="88"/>
        <source>Objects left out (off the raster)</source>
        <translation>Ausgelassene Objekte (außerhalb des Rasters)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_label.py" line="95"/>
        <source>Choose a head file (.pt): a segmentation head or a land-cover classifier head.</source>
        <translation>Wählen Sie eine Kopfdatei (.pt): einen Segmentierungskopf oder einen Landbedeckungs-Klassifikatorkopf.</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_label.py" line="109"/>
        <source>{count} objects do not overlap the raster and are left out.</source>
        <translation>{count} Objekte überlappen das Raster nicht und werden ausgelassen.</translation>
    </message>
</context>
<context>
    <name>LayerFiles</name>
    <message>
        <location filename="../terrasam_processing/layers.py" line="47"/>
        <source>No raster layer was given.</source>
        <translation>Es wurde kein Rasterlayer angegeben.</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/layers.py" line="50"/>
        <source>The raster {name} is not a local file (web, XYZ and database layers cannot be read by the TerraSAM engine): save it as a GeoTIFF first.</source>
        <translation>Das Raster {name} ist keine lokale Datei (Web-, XYZ- und Datenbanklayer kann die TerraSAM-Engine nicht lesen): Speichern Sie es zuerst als GeoTIFF.</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/layers.py" line="96"/>
        <source>The TerraSAM engine&apos;s output {path} cannot be read.</source>
        <translation>Die Ausgabe {path} der TerraSAM-Engine kann nicht gelesen werden.</translation>
    </message>
</context>
<context>
    <name>MapClassesAlgorithm</name>
    <message>
        <location filename="../terrasam_processing/semantic_map.py" line="51"/>
        <source>Map classes (segmentation head)</source>
        <translation>Klassen kartieren (Segmentierungskopf)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_map.py" line="54"/>
        <source>&lt;p&gt;Gives every pixel of the raster (or of the extent) a class with a head trained by &lt;i&gt;Train segmentation head&lt;/i&gt; (or python -m sam_core train-segmenter) on the same SAM checkpoint.&lt;/p&gt;&lt;p&gt;The raster is cut into overlapping tiles anchored to its grid, each seen at the ground scale the head was trained at (a head trained on an image folder: tiles of its patch size in raster pixels); the class probabilities are blended across the overlaps, so the map has no seams and does not depend on the extent. &lt;b&gt;Overlap&lt;/b&gt;: below 1 a share of the tile, else pixels. The extent may be in any CRS.&lt;/p&gt;&lt;p&gt;Outputs: the class raster (a GeoTIFF on the input's grid and CRS, one byte per pixel, 255 where the input has no data), opened with the head's class names and colours (a .qml style beside it); optionally polygons, one per connected region of a class or, with &lt;b&gt;dissolve&lt;/b&gt;, one per class, with id, class, class_id, geodesic area_m2 and perimeter_m, and length_m for linear classes such as roads; and optionally a table of the area of every class (.csv: pixels, m², ha, % of the mapped area, mean probability, road length). Nothing is written unless the whole extent was mapped.&lt;/p&gt;</source>
        <translation>&lt;p&gt;Gibt jedem Pixel des Rasters (oder der Ausdehnung) eine Klasse, mit einem Kopf, der mit &lt;i&gt;Segmentierungskopf trainieren&lt;/i&gt; (oder python -m sam_core train-segmenter) auf demselben SAM-Checkpoint trainiert wurde.&lt;/p&gt;&lt;p&gt;Das Raster wird in überlappende, an seinem Gitter verankerte Kacheln zerlegt, jede im Bodenmaßstab gesehen, in dem der Kopf trainiert wurde (ein auf einem Bildordner trainierter Kopf: Kacheln seiner Patchgröße in Rasterpixeln); die Klassenwahrscheinlichkeiten werden über die Überlappungen überblendet, sodass die Karte keine Nähte hat und nicht von der Ausdehnung abhängt. &lt;b&gt;Überlappung&lt;/b&gt;: unter 1 ein Anteil der Kachel, sonst Pixel. Die Ausdehnung darf in beliebigem KBS angegeben werden.&lt;/p&gt;&lt;p&gt;Ausgaben: das Klassenraster (ein GeoTIFF auf Gitter und KBS der Eingabe, ein Byte je Pixel, 255 wo die Eingabe keine Daten hat), geöffnet mit den Klassennamen und -farben des Kopfes (ein .qml-Stil daneben); optional Polygone, eines je zusammenhängender Region einer Klasse oder, mit &lt;b&gt;Auflösen&lt;/b&gt;, eines je Klasse, mit id, class, class_id, geodätischer area_m2 und perimeter_m sowie length_m für linienhafte Klassen wie Straßen; und optional eine Tabelle der Fläche jeder Klasse (.csv: Pixel, m², ha, % der kartierten Fläche, mittlere Wahrscheinlichkeit, Straßenlänge). Geschrieben wird erst, wenn die ganze Ausdehnung kartiert ist.&lt;/p&gt;</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_map.py" line="74"/>
        <source>Segmentation head (.pt)</source>
        <translation>Segmentierungskopf (.pt)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_map.py" line="74"/>
        <source>Segmentation heads (*.pt);;All files (*)</source>
        <translation>Segmentierungsköpfe (*.pt);;Alle Dateien (*)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_map.py" line="81"/>
        <source>Tile overlap (below 1: share of the tile, else pixels)</source>
        <translation>Kachelüberlappung (unter 1: Anteil der Kachel, sonst Pixel)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_map.py" line="90"/>
        <source>Tile size (pixels; 0: the head&apos;s scale)</source>
        <translation>Kachelgröße (Pixel; 0: der Maßstab des Kopfes)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_map.py" line="95"/>
        <source>Class raster</source>
        <translation>Klassenraster</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_map.py" line="96"/>
        <source>Class polygons</source>
        <translation>Klassenpolygone</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_map.py" line="105"/>
        <source>Dissolve polygons per class</source>
        <translation>Polygone je Klasse auflösen</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_map.py" line="108"/>
        <source>Area per class</source>
        <translation>Fläche je Klasse</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_map.py" line="108"/>
        <source>CSV files (*.csv)</source>
        <translation>CSV-Dateien (*.csv)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_map.py" line="117"/>
        <source>Mapped area (ha)</source>
        <translation>Kartierte Fläche (ha)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_map.py" line="118"/>
        <source>Number of polygons</source>
        <translation>Anzahl der Polygone</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_map.py" line="123"/>
        <source>Choose a segmentation head file (.pt).</source>
        <translation>Wählen Sie eine Segmentierungskopf-Datei (.pt).</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_map.py" line="126"/>
        <source>The class raster is written as a GeoTIFF: give it a .tif name, not {path}.</source>
        <translation>Das Klassenraster wird als GeoTIFF geschrieben: Geben Sie ihm einen .tif-Namen, nicht {path}.</translation>
    </message>
</context>
<context>
    <name>ModelDownloadDialog</name>
    <message>
        <location filename="../ui/model_download.py" line="70"/>
        <source>Get a SAM model</source>
        <translation>SAM-Modell holen</translation>
    </message>
    <message>
        <location filename="../ui/model_download.py" line="76"/>
        <source>Custom URL…</source>
        <translation>Eigene URL…</translation>
    </message>
    <message>
        <location filename="../ui/model_download.py" line="77"/>
        <source>Model</source>
        <translation>Modell</translation>
    </message>
    <message>
        <location filename="../ui/model_download.py" line="80"/>
        <source>URL</source>
        <translation>URL</translation>
    </message>
    <message>
        <location filename="../ui/model_download.py" line="82"/>
        <source>optional: 64 hexadecimal digits</source>
        <translation>optional: 64 Hexadezimalziffern</translation>
    </message>
    <message>
        <location filename="../ui/model_download.py" line="83"/>
        <source>SHA-256</source>
        <translation>SHA-256</translation>
    </message>
    <message>
        <location filename="../ui/model_download.py" line="87"/>
        <source>Saved in</source>
        <translation>Gespeichert in</translation>
    </message>
    <message>
        <location filename="../ui/model_download.py" line="98"/>
        <source>Download</source>
        <translation>Herunterladen</translation>
    </message>
    <message>
        <location filename="../ui/model_download.py" line="99"/>
        <source>Cancel download</source>
        <translation>Download abbrechen</translation>
    </message>
    <message>
        <location filename="../ui/model_download.py" line="139"/>
        <source>Downloading {name}…</source>
        <translation>{name} wird heruntergeladen…</translation>
    </message>
    <message>
        <location filename="../ui/model_download.py" line="152"/>
        <source>Downloading {name}: {done:,.1f} of {total:,.1f} MB</source>
        <translation>{name} wird heruntergeladen: {done:,.1f} von {total:,.1f} MB</translation>
    </message>
    <message>
        <location filename="../ui/model_download.py" line="172"/>
        <source>SHA-256 verified</source>
        <translation>SHA-256 geprüft</translation>
    </message>
    <message>
        <location filename="../ui/model_download.py" line="172"/>
        <source>not verified (no SHA-256 given); its SHA-256 is {sha}</source>
        <translation>nicht geprüft (kein SHA-256 angegeben); sein SHA-256 ist {sha}</translation>
    </message>
    <message>
        <location filename="../ui/model_download.py" line="179"/>
        <source>Saved {path}: {verified}</source>
        <translation>{path} gespeichert: {verified}</translation>
    </message>
    <message>
        <location filename="../ui/model_download.py" line="184"/>
        <source>Download cancelled. Download again to resume where it stopped.</source>
        <translation>Download abgebrochen. Erneut herunterladen setzt dort fort, wo er angehalten wurde.</translation>
    </message>
</context>
<context>
    <name>OutputTarget</name>
    <message>
        <location filename="../ui/output_target.py" line="52"/>
        <source>Choose the polygon layer to write to.</source>
        <translation>Wählen Sie den Polygonlayer, in den geschrieben werden soll.</translation>
    </message>
    <message>
        <location filename="../ui/output_target.py" line="57"/>
        <source>Choose the GeoPackage file to write to.</source>
        <translation>Wählen Sie die GeoPackage-Datei, in die geschrieben werden soll.</translation>
    </message>
    <message>
        <location filename="../ui/output_target.py" line="65"/>
        <source>TerraSAM objects</source>
        <translation>TerraSAM-Objekte</translation>
    </message>
    <message>
        <location filename="../ui/output_target.py" line="65"/>
        <source>TerraSAM everything</source>
        <translation>TerraSAM alles</translation>
    </message>
</context>
<context>
    <name>PromptController</name>
    <message>
        <location filename="../ui/prompt_controller.py" line="110"/>
        <source>Nothing to accept: click on an object first.</source>
        <translation>Nichts zu übernehmen: Klicken Sie zuerst auf ein Objekt.</translation>
    </message>
    <message>
        <location filename="../ui/prompt_controller.py" line="130"/>
        <source>Object {id} written to {layer}: {area}</source>
        <translation>Objekt {id} in {layer} geschrieben: {area}</translation>
    </message>
    <message>
        <location filename="../ui/prompt_controller.py" line="198"/>
        <source>The view is already encoded</source>
        <translation>Die Ansicht ist bereits kodiert</translation>
    </message>
    <message>
        <location filename="../ui/prompt_controller.py" line="205"/>
        <source>Encoding {n} tile(s)…</source>
        <translation>{n} Kachel(n) werden kodiert…</translation>
    </message>
    <message>
        <location filename="../ui/prompt_controller.py" line="216"/>
        <source>Encoding cancelled: nothing was changed</source>
        <translation>Kodierung abgebrochen: Es wurde nichts geändert</translation>
    </message>
    <message>
        <location filename="../ui/prompt_controller.py" line="218"/>
        <source>Encoded: click to segment</source>
        <translation>Kodiert: zum Segmentieren klicken</translation>
    </message>
    <message>
        <location filename="../ui/prompt_controller.py" line="235"/>
        <source>Preview (score {score}): Accept to keep it</source>
        <translation>Vorschau (Score {score}): mit „Übernehmen“ behalten</translation>
    </message>
    <message>
        <location filename="../ui/prompt_controller.py" line="125"/>
        <source>Object {id}: finding its class…</source>
        <translation>Objekt {id}: Seine Klasse wird bestimmt…</translation>
    </message>
    <message>
        <location filename="../ui/prompt_controller.py" line="149"/>
        <source>Object {id} written to {layer} without a class: {area}</source>
        <translation>Objekt {id} ohne Klasse in {layer} geschrieben: {area}</translation>
    </message>
    <message>
        <location filename="../ui/prompt_controller.py" line="151"/>
        <source>Object {id} ({label}) written to {layer}: {area}</source>
        <translation>Objekt {id} ({label}) in {layer} geschrieben: {area}</translation>
    </message>
</context>
<context>
    <name>PromptPlace</name>
    <message>
        <location filename="../ui/prompt_place.py" line="51"/>
        <source>The point {xy} ({crs}) is outside the raster {name}.</source>
        <translation>Der Punkt {xy} ({crs}) liegt außerhalb des Rasters {name}.</translation>
    </message>
    <message>
        <location filename="../ui/prompt_place.py" line="65"/>
        <source>The box {corners} ({crs}) is outside the raster {name}.</source>
        <translation>Das Rechteck {corners} ({crs}) liegt außerhalb des Rasters {name}.</translation>
    </message>
</context>
<context>
    <name>SegmentEverythingAlgorithm</name>
    <message>
        <location filename="../terrasam_processing/segmentation.py" line="211"/>
        <source>Segment everything</source>
        <translation>Alles segmentieren</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/segmentation.py" line="214"/>
        <source>&lt;p&gt;Finds every object over the extent (default: the whole raster) with SAM's automatic mode, tile by tile. Tiles overlap and are anchored to the raster's grid, and objects cut by a tile edge are joined again, so the result does not depend on where the extent starts.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Points per side&lt;/b&gt;: SAM's grid of prompts per tile (32 finds small objects; 8 or 16 are faster). &lt;b&gt;Predicted IoU&lt;/b&gt; and &lt;b&gt;stability&lt;/b&gt; thresholds: lower keeps more, less certain objects. The advanced settings are those of the command line (python -m sam_core everything): crop layers, regions below a number of pixels removed from each mask, keeping only the largest part, post-processing in m² and pixels, tiles, bands, the embedding cache and the device.&lt;/p&gt;&lt;p&gt;The output has one polygon per object, in the raster's CRS, with the fields id, score, stability, area_m2 and perimeter_m (geodesic), tiles (the tiles it was found in) and model. Nothing is written unless every tile was processed.&lt;/p&gt;</source>
        <translation>&lt;p&gt;Findet mit dem automatischen Modus von SAM jedes Objekt in der Ausdehnung (Standard: das ganze Raster), Kachel für Kachel. Die Kacheln überlappen sich und sind am Gitter des Rasters verankert, und von einer Kachelkante zerschnittene Objekte werden wieder zusammengefügt, sodass das Ergebnis nicht davon abhängt, wo die Ausdehnung beginnt.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Punkte je Seite&lt;/b&gt;: das Prompt-Gitter von SAM je Kachel (32 findet kleine Objekte; 8 oder 16 sind schneller). Schwellenwerte für &lt;b&gt;vorhergesagte IoU&lt;/b&gt; und &lt;b&gt;Stabilität&lt;/b&gt;: niedriger behält mehr, weniger sichere Objekte. Die erweiterten Einstellungen sind die der Kommandozeile (python -m sam_core everything): Crop-Ebenen, aus jeder Maske entfernte Bereiche unter einer Pixelzahl, nur den größten Teil behalten, Nachbearbeitung in m² und Pixeln, Kacheln, Kanäle, der Embedding-Cache und das Gerät.&lt;/p&gt;&lt;p&gt;Die Ausgabe hat ein Polygon je Objekt im KBS des Rasters, mit den Feldern id, score, stability, area_m2 und perimeter_m (geodätisch), tiles (die Kacheln, in denen es gefunden wurde) und model. Es wird nur geschrieben, wenn jede Kachel verarbeitet wurde.&lt;/p&gt;</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/segmentation.py" line="232"/>
        <source>Points per side</source>
        <translation>Punkte je Seite</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/segmentation.py" line="241"/>
        <source>Predicted IoU threshold</source>
        <translation>Schwellenwert der vorhergesagten IoU</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/segmentation.py" line="241"/>
        <source>Stability threshold</source>
        <translation>Stabilitäts-Schwellenwert</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/segmentation.py" line="255"/>
        <source>Crop layers</source>
        <translation>Crop-Ebenen</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/segmentation.py" line="256"/>
        <source>Remove islands and holes below (pixels)</source>
        <translation>Inseln und Löcher entfernen unter (Pixel)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/segmentation.py" line="259"/>
        <source>Keep only the largest part</source>
        <translation>Nur den größten Teil behalten</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/segmentation.py" line="271"/>
        <source>Objects</source>
        <translation>Objekte</translation>
    </message>
</context>
<context>
    <name>SegmentPromptsAlgorithm</name>
    <message>
        <location filename="../terrasam_processing/segmentation.py" line="119"/>
        <source>Segment from prompt layers</source>
        <translation>Aus Prompt-Layern segmentieren</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/segmentation.py" line="122"/>
        <source>&lt;p&gt;Segments objects with SAM from prompts you drew or imported: a &lt;b&gt;point layer&lt;/b&gt; (clicks on objects) and/or a &lt;b&gt;polygon layer&lt;/b&gt; whose features&apos; bounding boxes are box prompts. All objects are segmented in one run, so the model is loaded once and every tile is encoded once. The layers may be in any CRS.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Label field&lt;/b&gt; (points, optional): 1 marks a point on the object, 0 a point on the background; empty counts as 1.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Group field&lt;/b&gt; (optional): points with the same value describe one object. A polygon feature with a field of the same name and the same value becomes that object&apos;s box. Without a group field, every polygon is one object and all the points together are one object.&lt;/p&gt;&lt;p&gt;The output has one polygon per object, in the raster&apos;s CRS, with the attributes of its polygon feature (else of its first point) and the fields id, prompt_type, n_fg, n_bg, score, area_m2 and perimeter_m (geodesic, on the ellipsoid) and model. A field whose name clashes with these is renamed src_&amp;lt;name&amp;gt;. An object the model does not find is left out with a warning. A point outside the raster, or the prompts of one object spanning more than one tile, stop the run with a message naming the object; nothing is written then.&lt;/p&gt;</source>
        <translation>&lt;p&gt;Segmentiert mit SAM Objekte aus Prompts, die Sie gezeichnet oder importiert haben: ein &lt;b&gt;Punktlayer&lt;/b&gt; (Klicks auf Objekte) und/oder ein &lt;b&gt;Polygonlayer&lt;/b&gt;, dessen Feature-Umgrenzungsrechtecke Rechteck-Prompts sind. Alle Objekte werden in einem Lauf segmentiert, sodass das Modell einmal geladen und jede Kachel einmal kodiert wird. Die Layer dürfen in beliebigem KBS sein.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Label-Feld&lt;/b&gt; (Punkte, optional): 1 markiert einen Punkt auf dem Objekt, 0 einen Punkt im Hintergrund; leer zählt als 1.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Gruppenfeld&lt;/b&gt; (optional): Punkte mit demselben Wert beschreiben ein Objekt. Ein Polygon-Feature mit einem gleichnamigen Feld und demselben Wert wird zum Rechteck dieses Objekts. Ohne Gruppenfeld ist jedes Polygon ein Objekt und alle Punkte zusammen sind ein Objekt.&lt;/p&gt;&lt;p&gt;Die Ausgabe hat ein Polygon je Objekt im KBS des Rasters, mit den Attributen seines Polygon-Features (sonst seines ersten Punktes) und den Feldern id, prompt_type, n_fg, n_bg, score, area_m2 und perimeter_m (geodätisch, auf dem Ellipsoid) und model. Ein Feld, dessen Name mit diesen kollidiert, wird in src_&amp;lt;Name&amp;gt; umbenannt. Ein Objekt, das das Modell nicht findet, wird mit einer Warnung ausgelassen. Ein Punkt außerhalb des Rasters oder Prompts eines Objekts, die mehr als eine Kachel überspannen, beenden den Lauf mit einer Meldung, die das Objekt nennt; dann wird nichts geschrieben.&lt;/p&gt;</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/segmentation.py" line="143"/>
        <source>Point prompts</source>
        <translation>Punkt-Prompts</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/segmentation.py" line="148"/>
        <source>Label field (1 object, 0 background)</source>
        <translation>Label-Feld (1 Objekt, 0 Hintergrund)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/segmentation.py" line="156"/>
        <source>Group field (one object per value)</source>
        <translation>Gruppenfeld (ein Objekt je Wert)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/segmentation.py" line="164"/>
        <source>Box prompts (polygons: their bounding boxes)</source>
        <translation>Rechteck-Prompts (Polygone: ihre Umgrenzungsrechtecke)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/segmentation.py" line="177"/>
        <source>Segmented objects</source>
        <translation>Segmentierte Objekte</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/segmentation.py" line="181"/>
        <source>Give a point layer, a polygon layer of boxes, or both.</source>
        <translation>Geben Sie einen Punktlayer, einen Polygonlayer mit Rechtecken oder beides an.</translation>
    </message>
</context>
<context>
    <name>SegmentationController</name>
    <message>
        <location filename="../ui/controller.py" line="130"/>
        <source>TerraSAM reads raster files (GeoTIFF and other GDAL files); this layer is not a local file (WMS, XYZ and database layers are not supported).</source>
        <translation>TerraSAM liest Rasterdateien (GeoTIFF und andere GDAL-Dateien); dieser Layer ist keine lokale Datei (WMS-, XYZ- und Datenbanklayer werden nicht unterstützt).</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="158"/>
        <source>Ready: choose Point or Box and click on the map</source>
        <translation>Bereit: Punkt oder Rechteck wählen und in die Karte klicken</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="166"/>
        <source>Loading…</source>
        <translation>Wird geladen…</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="189"/>
        <source>No model loaded</source>
        <translation>Kein Modell geladen</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="190"/>
        <source>Loading the model was cancelled.</source>
        <translation>Das Laden des Modells wurde abgebrochen.</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="143"/>
        <source>Raster {name} chosen: now choose a SAM checkpoint (Model → Checkpoint)</source>
        <translation>Raster {name} gewählt: jetzt einen SAM-Checkpoint wählen (Modell → Checkpoint)</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="197"/>
        <source>Model loaded: now choose a raster layer</source>
        <translation>Modell geladen: jetzt einen Rasterlayer wählen</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="213"/>
        <source>Segmentation head loaded: Map view maps its classes, accepted objects get one</source>
        <translation>Segmentierungskopf geladen: „Ansicht kartieren“ kartiert seine Klassen, übernommene Objekte erhalten eine</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="227"/>
        <source>{n} classes: {names}</source>
        <translation>{n} Klassen: {names}</translation>
    </message>
</context>
<context>
    <name>TerraSAM</name>
    <message>
        <location filename="../host/dependencies.py" line="255"/>
        <source>To install the missing packages ({packages}) yourself instead: &quot;{python}&quot; -m pip install -r &quot;{requirements}&quot; (where that Python is externally managed, as on Debian or Ubuntu, use Install in the Set up engine panel, which makes a virtual environment).</source>
        <translation>Um die fehlenden Pakete ({packages}) stattdessen selbst zu installieren: &quot;{python}&quot; -m pip install -r &quot;{requirements}&quot; (wo dieses Python extern verwaltet wird, wie unter Debian oder Ubuntu, verwenden Sie „Installieren“ im Bereich „Engine einrichten“, das eine virtuelle Umgebung anlegt).</translation>
    </message>
</context>
<context>
    <name>TerraSAMAlgorithm</name>
    <message>
        <location filename="../terrasam_processing/base.py" line="101"/>
        <source>Raster (a local file)</source>
        <translation>Raster (eine lokale Datei)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/base.py" line="108"/>
        <source>SAM checkpoint (.pth)</source>
        <translation>SAM-Checkpoint (.pth)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/base.py" line="108"/>
        <source>SAM checkpoints (*.pth *.pt);;All files (*)</source>
        <translation>SAM-Checkpoints (*.pth *.pt);;Alle Dateien (*)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/base.py" line="128"/>
        <source>Extent (default: the whole raster)</source>
        <translation>Ausdehnung (Standard: das ganze Raster)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/base.py" line="135"/>
        <source>Bands as red,green,blue, e.g. 4,3,2, or one band (default: automatic)</source>
        <translation>Kanäle als Rot,Grün,Blau, z. B. 4,3,2, oder ein Kanal (Standard: automatisch)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/base.py" line="165"/>
        <source>Tile overlap (pixels)</source>
        <translation>Kachelüberlappung (Pixel)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/base.py" line="168"/>
        <source>Drop parts smaller than (m²)</source>
        <translation>Teile kleiner als (m²) verwerfen</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/base.py" line="168"/>
        <source>Fill holes smaller than (m²)</source>
        <translation>Löcher kleiner als (m²) füllen</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/base.py" line="168"/>
        <source>Simplification tolerance (pixels)</source>
        <translation>Vereinfachungstoleranz (Pixel)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/base.py" line="179"/>
        <source>Embedding cache folder (default: the TerraSAM dock&apos;s cache)</source>
        <translation>Embedding-Cache-Ordner (Standard: der Cache des TerraSAM-Docks)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/base.py" line="192"/>
        <source>Device</source>
        <translation>Gerät</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/base.py" line="230"/>
        <source>Choose a SAM checkpoint file (.pth), e.g. sam_vit_b_01ec64.pth from https://dl.fbaipublicfiles.com/segment_anything/sam_vit_b_01ec64.pth</source>
        <translation>Wählen Sie eine SAM-Checkpoint-Datei (.pth), z. B. sam_vit_b_01ec64.pth von https://dl.fbaipublicfiles.com/segment_anything/sam_vit_b_01ec64.pth</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/base.py" line="158"/>
        <source>Tile size (pixels; 0: the model&apos;s)</source>
        <translation>Kachelgröße (Pixel; 0: die des Modells)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/base.py" line="203"/>
        <source>Precision (auto: the fastest path that passes the fidelity check)</source>
        <translation>Genauigkeit (auto: der schnellste Weg, der die Treueprüfung besteht)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/base.py" line="214"/>
        <source>Dask scheduler address (empty: run on this machine)</source>
        <translation>Adresse des Dask-Schedulers (leer: auf diesem Rechner ausführen)</translation>
    </message>
</context>
<context>
    <name>TerraSAMDock</name>
    <message>
        <location filename="../ui/dock.py" line="73"/>
        <source>TerraSAM</source>
        <translation>TerraSAM</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="97"/>
        <source>Raster</source>
        <translation>Raster</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="102"/>
        <source>Layer</source>
        <translation>Layer</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="105"/>
        <source>R</source>
        <translation>R</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="105"/>
        <source>G</source>
        <translation>G</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="105"/>
        <source>B</source>
        <translation>B</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="108"/>
        <source>Bands</source>
        <translation>Kanäle</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="112"/>
        <source>Model</source>
        <translation>Modell</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="115"/>
        <source>SAM checkpoints (*.pth *.pt);;All files (*)</source>
        <translation>SAM-Checkpoints (*.pth *.pt);;Alle Dateien (*)</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="116"/>
        <source>Choose a SAM checkpoint</source>
        <translation>SAM-Checkpoint auswählen</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="126"/>
        <source>Checkpoint</source>
        <translation>Checkpoint</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="127"/>
        <source>No model loaded</source>
        <translation>Kein Modell geladen</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="131"/>
        <source>Device</source>
        <translation>Gerät</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="141"/>
        <source>Prompts</source>
        <translation>Prompts</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="143"/>
        <source>Point</source>
        <translation>Punkt</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="143"/>
        <source>Left click: object, right click: background</source>
        <translation>Linksklick: Objekt, Rechtsklick: Hintergrund</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="146"/>
        <source>Box</source>
        <translation>Rechteck</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="146"/>
        <source>Drag a rectangle around the object</source>
        <translation>Ein Rechteck um das Objekt aufziehen</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="152"/>
        <source>Undo</source>
        <translation>Rückgängig</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="152"/>
        <source>Remove the last prompt</source>
        <translation>Den letzten Prompt entfernen</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="153"/>
        <source>Clear</source>
        <translation>Leeren</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="153"/>
        <source>Remove all prompts of this object</source>
        <translation>Alle Prompts dieses Objekts entfernen</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="156"/>
        <source>Accept</source>
        <translation>Übernehmen</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="156"/>
        <source>Write the object to the output layer</source>
        <translation>Das Objekt in den Ausgabelayer schreiben</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="159"/>
        <source>Encode view</source>
        <translation>Ansicht kodieren</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="160"/>
        <source>Encode the tiles in view now, so later clicks are instant</source>
        <translation>Die Kacheln der aktuellen Ansicht jetzt kodieren, damit spätere Klicks sofort wirken</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="204"/>
        <source>Output</source>
        <translation>Ausgabe</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="207"/>
        <source>New memory layer</source>
        <translation>Neuer temporärer Layer</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="207"/>
        <source>Existing polygon layer</source>
        <translation>Bestehender Polygonlayer</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="207"/>
        <source>GeoPackage file</source>
        <translation>GeoPackage-Datei</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="210"/>
        <source>Write to</source>
        <translation>Schreiben in</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="212"/>
        <source>A new layer is added at the first Accept</source>
        <translation>Beim ersten Übernehmen wird ein neuer Layer hinzugefügt</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="218"/>
        <source>GeoPackage (*.gpkg)</source>
        <translation>GeoPackage (*.gpkg)</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="304"/>
        <source>Choose a raster layer and a checkpoint</source>
        <translation>Wählen Sie einen Rasterlayer und einen Checkpoint</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="311"/>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="173"/>
        <source>Segment everything in view</source>
        <translation>Alles in der Ansicht segmentieren</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="174"/>
        <source>Find every object in the current view automatically and write them all to the output layer</source>
        <translation>Alle Objekte der aktuellen Ansicht automatisch finden und alle in den Ausgabelayer schreiben</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="186"/>
        <source> pts/side</source>
        <translation> Pkt./Seite</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="187"/>
        <source>Segment everything: prompt points along each side of a tile. More points find smaller objects; the time grows with the square.</source>
        <translation>Alles segmentieren: Prompt-Punkte entlang jeder Kachelseite. Mehr Punkte finden kleinere Objekte; die Rechenzeit wächst quadratisch.</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="227"/>
        <source>Land cover</source>
        <translation>Landbedeckung</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="230"/>
        <source>TerraSAM classifier head (*.pth *.pt);;All files (*)</source>
        <translation>TerraSAM-Klassifikatorkopf (*.pth *.pt);;Alle Dateien (*)</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="231"/>
        <source>A classifier head trained with python -m sam_core train-classifier on this model</source>
        <translation>Ein mit python -m sam_core train-classifier auf diesem Modell trainierter Klassifikatorkopf</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="234"/>
        <source>Head</source>
        <translation>Kopf</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="248"/>
        <source>Classify view</source>
        <translation>Ansicht klassifizieren</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="249"/>
        <source>Classify the current view into land-cover cells, added as a new styled layer</source>
        <translation>Die aktuelle Ansicht in Landbedeckungszellen klassifizieren, als neuer gestalteter Layer hinzugefügt</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="259"/>
        <source>One polygon per class</source>
        <translation>Ein Polygon je Klasse</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="267"/>
        <source>Class</source>
        <translation>Klasse</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="267"/>
        <source>%</source>
        <translation>%</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="117"/>
        <source>Get a model…</source>
        <translation>Modell holen…</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="118"/>
        <source>Download an official SAM checkpoint (or one from a URL), verified, and use it</source>
        <translation>Einen offiziellen SAM-Checkpoint (oder einen von einer URL) herunterladen, prüfen und verwenden</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="267"/>
        <source>Area</source>
        <translation>Fläche</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="236"/>
        <source>TerraSAM segmentation head (*.pt);;All files (*)</source>
        <translation>TerraSAM-Segmentierungskopf (*.pt);;Alle Dateien (*)</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="237"/>
        <source>Choose a segmentation head</source>
        <translation>Segmentierungskopf wählen</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="238"/>
        <source>A segmentation head trained with python -m sam_core train-segmenter on this model: Map view maps its classes, and accepted objects get their class</source>
        <translation>Ein mit python -m sam_core train-segmenter auf diesem Modell trainierter Segmentierungskopf: „Ansicht kartieren“ kartiert seine Klassen, und übernommene Objekte erhalten ihre Klasse</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="244"/>
        <source>Segmentation head</source>
        <translation>Segmentierungskopf</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="252"/>
        <source>Map view</source>
        <translation>Ansicht kartieren</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="253"/>
        <source>Map the classes of the segmentation head over the current view into a class GeoTIFF beside the raster, added as a new styled layer</source>
        <translation>Die Klassen des Segmentierungskopfes über die aktuelle Ansicht in ein Klassen-GeoTIFF neben dem Raster kartieren, als neuer gestalteter Layer hinzugefügt</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="260"/>
        <source>Classify view: one polygon per class instead of one per cell</source>
        <translation>Ansicht klassifizieren: ein Polygon je Klasse statt einem je Zelle</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="267"/>
        <source>Length</source>
        <translation>Länge</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="134"/>
        <source>auto: the fastest encoder path that passes the fidelity check on this machine</source>
        <translation>auto: der schnellste Encoder-Weg, der auf diesem Rechner die Treueprüfung besteht</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="137"/>
        <source>Precision</source>
        <translation>Genauigkeit</translation>
    </message>
</context>
<context>
    <name>TerraSAMPlugin</name>
    <message>
        <location filename="../plugin.py" line="48"/>
        <source>&amp;TerraSAM</source>
        <translation>&amp;TerraSAM</translation>
    </message>
    <message>
        <location filename="../plugin.py" line="98"/>
        <source>TerraSAM</source>
        <translation>TerraSAM</translation>
    </message>
    <message>
        <location filename="../plugin.py" line="100"/>
        <source>TerraSAM: Segment Anything for rasters</source>
        <translation>TerraSAM: Segment Anything für Raster</translation>
    </message>
    <message>
        <location filename="../plugin.py" line="192"/>
        <source>TerraSAM: the engine is not set up</source>
        <translation>TerraSAM: Die Engine ist nicht eingerichtet</translation>
    </message>
    <message>
        <location filename="../plugin.py" line="193"/>
        <source>Set up engine (in the TerraSAM dock) fixes it.</source>
        <translation>„Engine einrichten“ (im TerraSAM-Dock) behebt das.</translation>
    </message>
    <message>
        <location filename="../plugin.py" line="199"/>
        <source>Set up engine</source>
        <translation>Engine einrichten</translation>
    </message>
</context>
<context>
    <name>TerraSAMProvider</name>
    <message>
        <location filename="../terrasam_processing/provider.py" line="44"/>
        <source>TerraSAM</source>
        <translation>TerraSAM</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/provider.py" line="47"/>
        <source>TerraSAM: Segment Anything for rasters</source>
        <translation>TerraSAM: Segment Anything für Raster</translation>
    </message>
</context>
<context>
    <name>TrainClassifierAlgorithm</name>
    <message>
        <location filename="../terrasam_processing/landcover.py" line="179"/>
        <source>Train land-cover classifier</source>
        <translation>Landbedeckungs-Klassifikator trainieren</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/landcover.py" line="182"/>
        <source>&lt;p&gt;Trains a small classifier head on features of the frozen SAM image encoder, from labelled image patches, for &lt;i&gt;Classify land cover&lt;/i&gt;.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Training data folder&lt;/b&gt;: one sub-folder per class, named after the class, holding square patches: RGB .jpg/.png (like EuroSAT RGB) or multi-band GeoTIFFs (like EuroSAT MS; choose the bands in the advanced settings). At least two classes with two patches each.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Training fractions&lt;/b&gt;: the share of each class used for training, the rest is held out to score the head; several values separated by commas (0.2,0.5,0.8) run a sweep and the head of the largest is saved. &lt;b&gt;Head&lt;/b&gt;: linear, or mlp (one hidden layer). The same seed and data give the same head.&lt;/p&gt;&lt;p&gt;Outputs: the head file (.pt) and a report folder with, per fraction, metrics.json (accuracy, per-class precision, recall and F1, the confusion matrix), curves.png and confusion.png, then summary.json and sweep.png. Encoder features are cached, so another head on the same data is quick.&lt;/p&gt;</source>
        <translation>&lt;p&gt;Trainiert für &lt;i&gt;Landbedeckung klassifizieren&lt;/i&gt; einen kleinen Klassifikatorkopf auf Merkmalen des eingefrorenen SAM-Bild-Encoders, aus gelabelten Bildausschnitten.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Trainingsdaten-Ordner&lt;/b&gt;: ein Unterordner je Klasse, nach der Klasse benannt, mit quadratischen Ausschnitten: RGB-.jpg/.png (wie EuroSAT RGB) oder mehrkanalige GeoTIFFs (wie EuroSAT MS; die Kanäle in den erweiterten Einstellungen wählen). Mindestens zwei Klassen mit je zwei Ausschnitten.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Trainingsanteile&lt;/b&gt;: der Anteil jeder Klasse, der zum Training dient, der Rest wird zurückgehalten, um den Kopf zu bewerten; mehrere durch Kommas getrennte Werte (0.2,0.5,0.8) ergeben eine Versuchsreihe, und der Kopf des größten wird gespeichert. &lt;b&gt;Kopf&lt;/b&gt;: linear oder mlp (eine verborgene Schicht). Derselbe Seed und dieselben Daten ergeben denselben Kopf.&lt;/p&gt;&lt;p&gt;Ausgaben: die Kopfdatei (.pt) und ein Berichtsordner mit, je Anteil, metrics.json (Genauigkeit, Präzision, Recall und F1 je Klasse, die Konfusionsmatrix), curves.png und confusion.png, dann summary.json und sweep.png. Encoder-Merkmale werden zwischengespeichert, sodass ein weiterer Kopf auf denselben Daten schnell geht.&lt;/p&gt;</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/landcover.py" line="199"/>
        <source>Training data folder (one sub-folder per class)</source>
        <translation>Trainingsdaten-Ordner (ein Unterordner je Klasse)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/landcover.py" line="207"/>
        <source>Head</source>
        <translation>Kopf</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/landcover.py" line="208"/>
        <source>Training fractions (e.g. 0.2,0.5,0.8)</source>
        <translation>Trainingsanteile (z. B. 0.2,0.5,0.8)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/landcover.py" line="213"/>
        <source>Epochs</source>
        <translation>Epochen</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/landcover.py" line="218"/>
        <source>Random seed</source>
        <translation>Zufalls-Seed</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/landcover.py" line="219"/>
        <source>Feature extraction</source>
        <translation>Merkmalsextraktion</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/landcover.py" line="224"/>
        <source>Pixel size of the patches in metres (0: from the GeoTIFFs, else 10)</source>
        <translation>Pixelgröße der Ausschnitte in Metern (0: aus den GeoTIFFs, sonst 10)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/landcover.py" line="236"/>
        <source>Feature cache folder (default: ~/.cache/terrasam/features)</source>
        <translation>Merkmals-Cache-Ordner (Standard: ~/.cache/terrasam/features)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/landcover.py" line="240"/>
        <source>Classifier head</source>
        <translation>Klassifikatorkopf</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/landcover.py" line="240"/>
        <source>Classifier heads (*.pt)</source>
        <translation>Klassifikatorköpfe (*.pt)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/landcover.py" line="245"/>
        <source>Report folder</source>
        <translation>Berichtsordner</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/landcover.py" line="250"/>
        <source>Held-out accuracy of the saved head</source>
        <translation>Genauigkeit des gespeicherten Kopfes auf zurückgehaltenen Daten</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/landcover.py" line="251"/>
        <source>Held-out macro F1 of the saved head</source>
        <translation>Makro-F1 des gespeicherten Kopfes auf zurückgehaltenen Daten</translation>
    </message>
</context>
<context>
    <name>TrainSegmentationHeadAlgorithm</name>
    <message>
        <location filename="../terrasam_processing/semantic_train.py" line="58"/>
        <source>Train segmentation head</source>
        <translation>Segmentierungskopf trainieren</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_train.py" line="61"/>
        <source>&lt;p&gt;Trains a pixel-level segmentation head on the frozen SAM image encoder, for &lt;i&gt;Map classes (segmentation head)&lt;/i&gt;: every pixel gets a class (roads, buildings, water, ...).&lt;/p&gt;&lt;p&gt;&lt;b&gt;Training data folder&lt;/b&gt;: images/ and masks/ with the same file names; a mask holds one class code per pixel. Optional split.csv (image,split with train, val, test; else a split from the seed) and classes.json (the codes&apos; names and colours, and an ignore code for unlabelled pixels).&lt;/p&gt;&lt;p&gt;&lt;b&gt;Or a raster with labels&lt;/b&gt;: a raster (a local file) and either &lt;b&gt;labelled polygons&lt;/b&gt; (any CRS) with the &lt;b&gt;class field&lt;/b&gt; holding each one&apos;s class (names, or integer codes named by a classes.json beside the layer; what no polygon covers is the background), or a &lt;b&gt;label raster&lt;/b&gt; of class codes (resampled onto the raster; its nodata is unlabelled). &lt;b&gt;Complete-labelling region&lt;/b&gt;: where every pixel is labelled; outside it only labelled pixels count (default: the polygons&apos; bounding box, or wherever the label raster has data). &lt;b&gt;Split field&lt;/b&gt;: train, val or test per polygon; without it the raster&apos;s images are split by area with the seed. The head records the raster&apos;s pixel size, bands and stretch, so that &lt;i&gt;Map classes&lt;/i&gt; sees other rasters as it was trained.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Head&lt;/b&gt;: sam-conv (convolutions on the SAM embedding), sam-vit (a small transformer on it) or unet (a UNet on the pixels alone, the baseline without SAM). &lt;b&gt;Compare with&lt;/b&gt;: other heads trained on the same split for the report only. &lt;b&gt;Dice&lt;/b&gt; adds a Dice term to the cross-entropy (helps thin classes such as roads); &lt;b&gt;skip&lt;/b&gt; gives the SAM heads a downsampled copy of the image (sharper edges). The head of the epoch with the best validation mean IoU is kept; the same seed and data give the same head.&lt;/p&gt;&lt;p&gt;Outputs: the head file (.pt; it goes with this checkpoint) and a report folder: summary.json (test mean IoU, accuracy, macro F1, per-class figures, beside the majority-class baseline), curves.png, boxplots.png and examples.png. Encoder embeddings are cached, so another head on the same data is quick.&lt;/p&gt;</source>
        <translation>&lt;p&gt;Trainiert für &lt;i&gt;Klassen kartieren (Segmentierungskopf)&lt;/i&gt; einen Segmentierungskopf auf Pixelebene auf dem eingefrorenen SAM-Bild-Encoder: Jedes Pixel erhält eine Klasse (Straßen, Gebäude, Wasser, …).&lt;/p&gt;&lt;p&gt;&lt;b&gt;Trainingsdaten-Ordner&lt;/b&gt;: images/ und masks/ mit denselben Dateinamen; eine Maske enthält je Pixel einen Klassencode. Optional split.csv (image,split mit train, val, test; sonst eine Aufteilung aus dem Seed) und classes.json (Namen und Farben der Codes sowie ein Ignorier-Code für unbeschriftete Pixel).&lt;/p&gt;&lt;p&gt;&lt;b&gt;Oder ein Raster mit Beschriftungen&lt;/b&gt;: ein Raster (eine lokale Datei) und entweder &lt;b&gt;beschriftete Polygone&lt;/b&gt; (beliebiges KBS) mit dem &lt;b&gt;Klassenfeld&lt;/b&gt;, das die Klasse jedes Polygons enthält (Namen oder ganzzahlige Codes, benannt durch eine classes.json neben dem Layer; was kein Polygon bedeckt, ist der Hintergrund), oder ein &lt;b&gt;Beschriftungsraster&lt;/b&gt; mit Klassencodes (auf das Raster umgerechnet; seine NoData-Pixel sind unbeschriftet). &lt;b&gt;Region vollständiger Beschriftung&lt;/b&gt;: wo jedes Pixel beschriftet ist; außerhalb zählen nur beschriftete Pixel (Standard: das umgebende Rechteck der Polygone oder, wo das Beschriftungsraster Daten hat). &lt;b&gt;Aufteilungsfeld&lt;/b&gt;: train, val oder test je Polygon; ohne es werden die Bilder des Rasters mit dem Seed flächenweise aufgeteilt. Der Kopf speichert Pixelgröße, Kanäle und Streckung des Rasters, sodass &lt;i&gt;Klassen kartieren&lt;/i&gt; andere Raster so sieht, wie er trainiert wurde.&lt;/p&gt;&lt;p&gt;&lt;b&gt;Kopf&lt;/b&gt;: sam-conv (Faltungen auf dem SAM-Embedding), sam-vit (ein kleiner Transformer darauf) oder unet (ein UNet allein auf den Pixeln, die Vergleichsbasis ohne SAM). &lt;b&gt;Vergleichen mit&lt;/b&gt;: weitere Köpfe, auf derselben Aufteilung nur für den Bericht trainiert. &lt;b&gt;Dice&lt;/b&gt; fügt der Kreuzentropie einen Dice-Term hinzu (hilft dünnen Klassen wie Straßen); &lt;b&gt;skip&lt;/b&gt; gibt den SAM-Köpfen eine verkleinerte Kopie des Bildes (schärfere Kanten). Behalten wird der Kopf der Epoche mit dem besten mittleren Validierungs-IoU; derselbe Seed und dieselben Daten ergeben denselben Kopf.&lt;/p&gt;&lt;p&gt;Ausgaben: die Kopfdatei (.pt; sie gehört zu diesem Checkpoint) und ein Berichtsordner: summary.json (mittlerer Test-IoU, Genauigkeit, Makro-F1, Werte je Klasse, neben der Mehrheitsklassen-Vergleichsbasis), curves.png, boxplots.png und examples.png. Encoder-Embeddings werden zwischengespeichert, sodass ein weiterer Kopf auf denselben Daten schnell trainiert ist.&lt;/p&gt;</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_train.py" line="90"/>
        <source>Training data folder (images/ and masks/)</source>
        <translation>Trainingsdaten-Ordner (images/ und masks/)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_train.py" line="98"/>
        <source>Or: a raster (a local file) with labels</source>
        <translation>Oder: ein Raster (eine lokale Datei) mit Beschriftungen</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_train.py" line="106"/>
        <source>Labelled polygons (one class each)</source>
        <translation>Beschriftete Polygone (je eine Klasse)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_train.py" line="114"/>
        <source>Class field (names or integer codes)</source>
        <translation>Klassenfeld (Namen oder ganzzahlige Codes)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_train.py" line="122"/>
        <source>Or: a label raster (class codes)</source>
        <translation>Oder: ein Beschriftungsraster (Klassencodes)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_train.py" line="127"/>
        <source>Complete-labelling region</source>
        <translation>Region vollständiger Beschriftung</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_train.py" line="135"/>
        <source>Split field (train, val, test)</source>
        <translation>Aufteilungsfeld (train, val, test)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_train.py" line="143"/>
        <source>Image side cut from the raster (pixels; 0: twice the model&apos;s input)</source>
        <translation>Seitenlänge der aus dem Raster geschnittenen Bilder (Pixel; 0: das Doppelte der Modelleingabe)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_train.py" line="148"/>
        <source>Head</source>
        <translation>Kopf</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_train.py" line="151"/>
        <source>Compare with (other heads, for the report)</source>
        <translation>Vergleichen mit (weitere Köpfe, für den Bericht)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_train.py" line="160"/>
        <source>Epochs</source>
        <translation>Epochen</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_train.py" line="165"/>
        <source>Learning rate</source>
        <translation>Lernrate</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_train.py" line="177"/>
        <source>Batch size</source>
        <translation>Batchgröße</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_train.py" line="178"/>
        <source>Random seed</source>
        <translation>Zufalls-Seed</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_train.py" line="179"/>
        <source>Add a Dice term to the loss</source>
        <translation>Dice-Term zum Verlust hinzufügen</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_train.py" line="182"/>
        <source>Give the SAM heads a copy of the image (skip connection)</source>
        <translation>Den SAM-Köpfen eine Kopie des Bildes geben (Skip-Verbindung)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_train.py" line="189"/>
        <source>Embedding cache folder (default: ~/.cache/terrasam/segmenter)</source>
        <translation>Embedding-Cache-Ordner (Standard: ~/.cache/terrasam/segmenter)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_train.py" line="193"/>
        <source>Segmentation head</source>
        <translation>Segmentierungskopf</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_train.py" line="193"/>
        <source>Segmentation heads (*.pt)</source>
        <translation>Segmentierungsköpfe (*.pt)</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_train.py" line="198"/>
        <source>Report folder</source>
        <translation>Berichtsordner</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_train.py" line="203"/>
        <source>Test mean IoU of the saved head</source>
        <translation>Mittlerer Test-IoU des gespeicherten Kopfes</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_train.py" line="204"/>
        <source>Test mean IoU of the majority class</source>
        <translation>Mittlerer Test-IoU der Mehrheitsklasse</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_train.py" line="215"/>
        <source>Give a training data folder (images/ and masks/), or a raster with labelled polygons or a label raster.</source>
        <translation>Geben Sie einen Trainingsdaten-Ordner (images/ und masks/) an, oder ein Raster mit beschrifteten Polygonen oder einem Beschriftungsraster.</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_train.py" line="220"/>
        <source>Give a training data folder or a raster with labels, not both.</source>
        <translation>Geben Sie einen Trainingsdaten-Ordner oder ein Raster mit Beschriftungen an, nicht beides.</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_train.py" line="222"/>
        <source>Give labelled polygons or a label raster, not both.</source>
        <translation>Geben Sie beschriftete Polygone oder ein Beschriftungsraster an, nicht beides.</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_train.py" line="224"/>
        <source>Choose the raster the labels describe.</source>
        <translation>Wählen Sie das Raster, das die Beschriftungen beschreiben.</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/semantic_train.py" line="226"/>
        <source>Choose the field of the labelled polygons that holds their class.</source>
        <translation>Wählen Sie das Feld der beschrifteten Polygone, das ihre Klasse enthält.</translation>
    </message>
</context>
<context>
    <name>ViewJobs</name>
    <message>
        <location filename="../ui/view_jobs.py" line="39"/>
        <source>Segment everything is already running: wait for it or cancel it.</source>
        <translation>„Alles segmentieren“ läuft bereits: Warten Sie, bis es fertig ist, oder brechen Sie es ab.</translation>
    </message>
    <message>
        <location filename="../ui/view_jobs.py" line="39"/>
        <source>Segmenting everything in view…</source>
        <translation>Alles in der Ansicht wird segmentiert…</translation>
    </message>
    <message>
        <location filename="../ui/view_jobs.py" line="56"/>
        <source>Segment everything cancelled: nothing was written</source>
        <translation>„Alles segmentieren“ abgebrochen: Es wurde nichts geschrieben</translation>
    </message>
    <message>
        <location filename="../ui/view_jobs.py" line="62"/>
        <source>No objects found in view: nothing was written</source>
        <translation>Keine Objekte in der Ansicht gefunden: Es wurde nichts geschrieben</translation>
    </message>
    <message>
        <location filename="../ui/view_jobs.py" line="74"/>
        <source>1 object written to {layer}</source>
        <translation>1 Objekt in {layer} geschrieben</translation>
    </message>
    <message>
        <location filename="../ui/view_jobs.py" line="74"/>
        <source>{n} objects written to {layer}</source>
        <translation>{n} Objekte in {layer} geschrieben</translation>
    </message>
    <message>
        <location filename="../ui/view_jobs.py" line="88"/>
        <source>Choose a classifier head file first (Land cover → Head).</source>
        <translation>Wählen Sie zuerst eine Klassifikator-Kopfdatei (Landbedeckung → Kopf).</translation>
    </message>
    <message>
        <location filename="../ui/view_jobs.py" line="99"/>
        <source>A classification is already running: wait for it or cancel it.</source>
        <translation>Eine Klassifizierung läuft bereits: Warten Sie, bis sie fertig ist, oder brechen Sie sie ab.</translation>
    </message>
    <message>
        <location filename="../ui/view_jobs.py" line="99"/>
        <source>Classifying the view…</source>
        <translation>Die Ansicht wird klassifiziert…</translation>
    </message>
    <message>
        <location filename="../ui/view_jobs.py" line="107"/>
        <source>Classification cancelled: no layer was added</source>
        <translation>Klassifizierung abgebrochen: Es wurde kein Layer hinzugefügt</translation>
    </message>
    <message>
        <location filename="../ui/view_jobs.py" line="110"/>
        <source>Nothing to classify in view (no valid pixels): no layer was added</source>
        <translation>In der Ansicht gibt es nichts zu klassifizieren (keine gültigen Pixel): Es wurde kein Layer hinzugefügt</translation>
    </message>
    <message>
        <location filename="../ui/view_jobs.py" line="114"/>
        <source>TerraSAM land cover ({raster})</source>
        <translation>TerraSAM-Landbedeckung ({raster})</translation>
    </message>
    <message>
        <location filename="../ui/view_jobs.py" line="118"/>
        <source>{n} cells classified over {area}</source>
        <translation>{n} Zellen auf {area} klassifiziert</translation>
    </message>
    <message>
        <location filename="../ui/view_jobs.py" line="132"/>
        <source>Choose a segmentation head file first (Land cover → Segmentation head).</source>
        <translation>Wählen Sie zuerst eine Segmentierungskopf-Datei (Landbedeckung → Segmentierungskopf).</translation>
    </message>
    <message>
        <location filename="../ui/view_jobs.py" line="141"/>
        <source>A class map is already running: wait for it or cancel it.</source>
        <translation>Eine Klassenkartierung läuft bereits: Warten Sie, bis sie fertig ist, oder brechen Sie sie ab.</translation>
    </message>
    <message>
        <location filename="../ui/view_jobs.py" line="141"/>
        <source>Mapping the classes in view…</source>
        <translation>Die Klassen in der Ansicht werden kartiert…</translation>
    </message>
    <message>
        <location filename="../ui/view_jobs.py" line="149"/>
        <source>Class map cancelled: no layer was added</source>
        <translation>Klassenkartierung abgebrochen: Es wurde kein Layer hinzugefügt</translation>
    </message>
    <message>
        <location filename="../ui/view_jobs.py" line="152"/>
        <source>TerraSAM classes ({raster})</source>
        <translation>TerraSAM-Klassen ({raster})</translation>
    </message>
    <message>
        <location filename="../ui/view_jobs.py" line="155"/>
        <source>QGIS cannot open the class map {path}</source>
        <translation>QGIS kann die Klassenkarte {path} nicht öffnen</translation>
    </message>
    <message>
        <location filename="../ui/view_jobs.py" line="159"/>
        <source>Classes mapped over {area}: {file}</source>
        <translation>Klassen auf {area} kartiert: {file}</translation>
    </message>
</context>
<context>
    <name>_FinetuneAlgorithm</name>
    <message>
        <location filename="../terrasam_processing/finetune.py" line="32"/>
        <source>Fine-tuning</source>
        <translation>Feinabstimmung</translation>
    </message>
</context>
<context>
    <name>_LandCoverAlgorithm</name>
    <message>
        <location filename="../terrasam_processing/landcover.py" line="35"/>
        <source>Land cover</source>
        <translation>Landbedeckung</translation>
    </message>
</context>
<context>
    <name>_SegmentationAlgorithm</name>
    <message>
        <location filename="../terrasam_processing/segmentation.py" line="34"/>
        <source>Segmentation</source>
        <translation>Segmentierung</translation>
    </message>
    <message>
        <location filename="../terrasam_processing/segmentation.py" line="43"/>
        <source>Number of objects</source>
        <translation>Anzahl der Objekte</translation>
    </message>
</context>
<context>
    <name>_SegmentationHeadAlgorithm</name>
    <message>
        <location filename="../terrasam_processing/semantic.py" line="22"/>
        <source>Segmentation heads</source>
        <translation>Segmentierungsköpfe</translation>
    </message>
</context>
</TS>
