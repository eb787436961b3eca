<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
<context>
    <name>SegmentationController</name>
    <message>
        <location filename="../ui/controller.py" line="154"/>
        <source>TerraSAM reads raster files (GeoTIFF and other GDAL files); this layer is not a local file (WMS, XYZ and database layers are not supported).</source>
        <translation>TerraSAM liest Rasterdateien (GeoTIFF und andere GDAL-Dateien); dieser Layer ist keine lokale Datei (WMS-, XYZ- und Datenbanklayer werden nicht unterstützt).</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="178"/>
        <source>Ready: choose Point or Box and click on the map</source>
        <translation>Bereit: Punkt oder Rechteck wählen und in die Karte klicken</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="185"/>
        <source>Loading…</source>
        <translation>Wird geladen…</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="200"/>
        <source>No model loaded</source>
        <translation>Kein Modell geladen</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="201"/>
        <source>Loading the model was cancelled.</source>
        <translation>Das Laden des Modells wurde abgebrochen.</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="271"/>
        <source>Object {id} written to {layer}: {area:.1f} m²</source>
        <translation>Objekt {id} in {layer} geschrieben: {area:.1f} m²</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="291"/>
        <source>The view is already encoded</source>
        <translation>Die Ansicht ist bereits kodiert</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="296"/>
        <source>Encoding {n} tile(s)…</source>
        <translation>{n} Kachel(n) werden kodiert…</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="315"/>
        <source>Encoding cancelled: nothing was changed</source>
        <translation>Kodierung abgebrochen: Es wurde nichts geändert</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="317"/>
        <source>Encoded: click to segment</source>
        <translation>Kodiert: zum Segmentieren klicken</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="404"/>
        <source>Choose a SAM checkpoint first (Model → Checkpoint).</source>
        <translation>Wählen Sie zuerst einen SAM-Checkpoint (Modell → Checkpoint).</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="406"/>
        <source>Choose a raster layer first.</source>
        <translation>Wählen Sie zuerst einen Rasterlayer.</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="429"/>
        <source>Choose the polygon layer to write to.</source>
        <translation>Wählen Sie den Polygonlayer, in den geschrieben werden soll.</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="434"/>
        <source>Choose the GeoPackage file to write to.</source>
        <translation>Wählen Sie die GeoPackage-Datei, in die geschrieben werden soll.</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="439"/>
        <source>TerraSAM objects</source>
        <translation>TerraSAM-Objekte</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="466"/>
        <source>Preview (score {score:.2f}): Accept to keep it</source>
        <translation>Vorschau (Score {score:.2f}): mit „Übernehmen“ behalten</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="508"/>
        <source>TerraSAM</source>
        <translation>TerraSAM</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="261"/>
        <source>Nothing to accept: click on an object first.</source>
        <translation>Nichts zu übernehmen: Klicken Sie zuerst auf ein Objekt.</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="325"/>
        <source>Segment everything is already running: wait for it or cancel it.</source>
        <translation>„Alles segmentieren“ läuft bereits: Warten Sie, bis es fertig ist, oder brechen Sie es ab.</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="343"/>
        <source>Segmenting everything in view…</source>
        <translation>Alles in der Ansicht wird segmentiert…</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="359"/>
        <source>Segment everything cancelled: nothing was written</source>
        <translation>„Alles segmentieren“ abgebrochen: Es wurde nichts geschrieben</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="362"/>
        <source>Segment everything failed: nothing was written.</source>
        <translation>„Alles segmentieren“ ist fehlgeschlagen: Es wurde nichts geschrieben.</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="366"/>
        <source>No objects found in view: nothing was written</source>
        <translation>Keine Objekte in der Ansicht gefunden: Es wurde nichts geschrieben</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="385"/>
        <source>1 object written to {layer}</source>
        <translation>1 Objekt in {layer} geschrieben</translation>
    </message>
    <message>
        <location filename="../ui/controller.py" line="385"/>
        <source>{n} objects written to {layer}</source>
        <translation>{n} Objekte in {layer} geschrieben</translation>
    </message>
</context>
<context>
    <name>TerraSAM</name>
    <message>
        <location filename="../ui/dependencies.py" line="53"/>
        <source>TerraSAM needs these Python packages, which the Python that QGIS runs cannot find: {packages}. Segmentation is disabled until they are installed. Install them with: python3 -m pip install -r &quot;{requirements}&quot; (where the system Python is externally managed, as on Debian or Ubuntu, use a virtual environment instead: /usr/bin/python3 -m venv --system-site-packages ~/.terrasam-venv, then ~/.terrasam-venv/bin/python -m pip install -r &quot;{requirements}&quot;, and start QGIS with PYTHONPATH set to that environment&apos;s site-packages folder). Then restart QGIS.</source>
        <translation>TerraSAM benötigt diese Python-Pakete, die das Python von QGIS nicht finden kann: {packages}. Die Segmentierung bleibt deaktiviert, bis sie installiert sind. Installieren Sie sie mit: python3 -m pip install -r &quot;{requirements}&quot; (wenn das System-Python extern verwaltet wird, wie unter Debian oder Ubuntu, verwenden Sie stattdessen eine virtuelle Umgebung: /usr/bin/python3 -m venv --system-site-packages ~/.terrasam-venv, dann ~/.terrasam-venv/bin/python -m pip install -r &quot;{requirements}&quot;, und starten Sie QGIS mit einem PYTHONPATH, der auf den site-packages-Ordner dieser Umgebung zeigt). Starten Sie QGIS danach neu.</translation>
    </message>
</context>
<context>
    <name>TerraSAMDock</name>
    <message>
        <location filename="../ui/dock.py" line="48"/>
        <source>TerraSAM</source>
        <translation>TerraSAM</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="62"/>
        <source>Raster</source>
        <translation>Raster</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="67"/>
        <source>Layer</source>
        <translation>Layer</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="70"/>
        <source>R</source>
        <translation>R</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="70"/>
        <source>G</source>
        <translation>G</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="70"/>
        <source>B</source>
        <translation>B</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="73"/>
        <source>Bands</source>
        <translation>Kanäle</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="77"/>
        <source>Model</source>
        <translation>Modell</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="80"/>
        <source>SAM checkpoints (*.pth *.pt);;All files (*)</source>
        <translation>SAM-Checkpoints (*.pth *.pt);;Alle Dateien (*)</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="81"/>
        <source>Choose a SAM checkpoint</source>
        <translation>SAM-Checkpoint auswählen</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="82"/>
        <source>Checkpoint</source>
        <translation>Checkpoint</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="83"/>
        <source>No model loaded</source>
        <translation>Kein Modell geladen</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="88"/>
        <source>Device</source>
        <translation>Gerät</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="92"/>
        <source>Prompts</source>
        <translation>Prompts</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="94"/>
        <source>Point</source>
        <translation>Punkt</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="94"/>
        <source>Left click: object, right click: background</source>
        <translation>Linksklick: Objekt, Rechtsklick: Hintergrund</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="97"/>
        <source>Box</source>
        <translation>Rechteck</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="97"/>
        <source>Drag a rectangle around the object</source>
        <translation>Ein Rechteck um das Objekt aufziehen</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="103"/>
        <source>Undo</source>
        <translation>Rückgängig</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="103"/>
        <source>Remove the last prompt</source>
        <translation>Den letzten Prompt entfernen</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="104"/>
        <source>Clear</source>
        <translation>Leeren</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="104"/>
        <source>Remove all prompts of this object</source>
        <translation>Alle Prompts dieses Objekts entfernen</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="107"/>
        <source>Accept</source>
        <translation>Übernehmen</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="107"/>
        <source>Write the object to the output layer</source>
        <translation>Das Objekt in den Ausgabelayer schreiben</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="110"/>
        <source>Encode view</source>
        <translation>Ansicht kodieren</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="111"/>
        <source>Encode the tiles in view now, so later clicks are instant</source>
        <translation>Die Kacheln der aktuellen Ansicht jetzt kodieren, damit spätere Klicks sofort wirken</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="155"/>
        <source>Output</source>
        <translation>Ausgabe</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="158"/>
        <source>New memory layer</source>
        <translation>Neuer temporärer Layer</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="158"/>
        <source>Existing polygon layer</source>
        <translation>Bestehender Polygonlayer</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="158"/>
        <source>GeoPackage file</source>
        <translation>GeoPackage-Datei</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="161"/>
        <source>Write to</source>
        <translation>Schreiben in</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="163"/>
        <source>A new layer is added at the first Accept</source>
        <translation>Beim ersten Übernehmen wird ein neuer Layer hinzugefügt</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="169"/>
        <source>GeoPackage (*.gpkg)</source>
        <translation>GeoPackage (*.gpkg)</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="179"/>
        <source>Choose a raster layer and a checkpoint</source>
        <translation>Wählen Sie einen Rasterlayer und einen Checkpoint</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="186"/>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="124"/>
        <source>Segment everything in view</source>
        <translation>Alles in der Ansicht segmentieren</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="125"/>
        <source>Find every object in the current view automatically and write them all to the output layer</source>
        <translation>Alle Objekte der aktuellen Ansicht automatisch finden und alle in den Ausgabelayer schreiben</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="137"/>
        <source> pts/side</source>
        <translation> Pkt./Seite</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="138"/>
        <source>Segment everything: prompt points along each side of a tile. More points find smaller objects; the time grows with the square.</source>
        <translation>Alles segmentieren: Prompt-Punkte entlang jeder Kachelseite. Mehr Punkte finden kleinere Objekte; die Rechenzeit wächst quadratisch.</translation>
    </message>
</context>
<context>
    <name>TerraSAMPlugin</name>
    <message>
        <location filename="../plugin.py" line="43"/>
        <source>&amp;TerraSAM</source>
        <translation>&amp;TerraSAM</translation>
    </message>
    <message>
        <location filename="../plugin.py" line="85"/>
        <source>TerraSAM</source>
        <translation>TerraSAM</translation>
    </message>
    <message>
        <location filename="../plugin.py" line="87"/>
        <source>TerraSAM: Segment Anything for rasters</source>
        <translation>TerraSAM: Segment Anything für Raster</translation>
    </message>
    <message>
        <location filename="../plugin.py" line="150"/>
        <source>TerraSAM: missing Python packages</source>
        <translation>TerraSAM: fehlende Python-Pakete</translation>
    </message>
</context>
</TS>
